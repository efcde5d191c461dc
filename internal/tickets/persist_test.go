package tickets_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
	"github.com/foureyes/foureyes/policy"
)

type memStore struct {
	mu     sync.Mutex
	kv     map[string]string
	writes int
}

func (m *memStore) GetCheckpoint(_ context.Context, k string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.kv[k], nil
}

func (m *memStore) SetCheckpoint(_ context.Context, k, v string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.kv[k] = v
	m.writes++
	return nil
}

// A webhook reaching a fresh Watcher (another replica, or after a restart) still finds
// the PRs through the persisted index; Resume re-evaluates the PRs that were waiting.
func TestWatcherIndexSurvivesRestart(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	st := &memStore{kv: map[string]string{}}
	var re reevals
	first, svc := watcherFor(t, fake, clock, &re)
	first.Store = st
	ctx := context.Background()
	snap := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	waiting := tickets.Subject{InstallationID: 1, Repo: "acme/a", Number: 1}
	passing := tickets.Subject{InstallationID: 1, Repo: "acme/b", Number: 2}
	closed := tickets.Subject{InstallationID: 1, Repo: "acme/c", Number: 3}
	first.Observe(waiting, map[string]policy.TicketSnapshot{"PAY-12": snap}, true)
	first.Observe(passing, map[string]policy.TicketSnapshot{"PAY-12": snap}, false)
	first.Observe(closed, map[string]policy.TicketSnapshot{"PAY-12": snap}, true)
	writes := st.writes
	first.Observe(passing, map[string]policy.TicketSnapshot{"PAY-12": snap}, false)
	if st.writes != writes {
		t.Errorf("an unchanged evaluation wrote the index %d times", st.writes-writes)
	}

	second, _ := watcherFor(t, fake, clock, &re)
	second.Store = st
	second.IsOpen = func(_ context.Context, s tickets.Subject) bool { return s != closed }
	second.Changed(policy.SystemJira, "PAY-12")
	second.Flush(ctx)
	if got := re.take(); len(got) != 2 {
		t.Fatalf("webhook on a fresh watcher re-evaluated %v, want a and b", got)
	}
	if n := second.Resume(ctx); n != 1 {
		t.Fatalf("resumed %d, want the one waiting open PR", n)
	}
	second.Flush(ctx)
	if got := re.take(); len(got) != 1 || got[0] != waiting {
		t.Fatalf("resume re-evaluated %v", got)
	}

	// The waiting PR passes and drops its ticket: neither list names it any more.
	second.Observe(waiting, nil, false)
	third, _ := watcherFor(t, fake, clock, &re)
	third.Store = st
	third.Changed(policy.SystemJira, "PAY-12")
	third.Resume(ctx)
	third.Flush(ctx)
	for _, s := range re.take() {
		if s == waiting {
			t.Errorf("a PR that no longer references PAY-12 was re-evaluated")
		}
	}
}
