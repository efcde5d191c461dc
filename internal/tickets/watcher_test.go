package tickets_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
	"github.com/foureyes/foureyes/policy"
)

// fakeClock is moved by the test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

type reevals struct {
	mu  sync.Mutex
	got []tickets.Subject
}

func (r *reevals) fn(ctx context.Context, s tickets.Subject) error {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	return nil
}

func (r *reevals) take() []tickets.Subject {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.got
	r.got = nil
	return g
}

func watcherFor(t *testing.T, fake *ticketstest.Jira, clock *fakeClock, re *reevals) (*tickets.Watcher, *tickets.Service) {
	svc := tickets.NewService(tickets.Options{Now: clock.Now, CacheTTL: time.Hour}, jiraClient(t, fake, nil))
	w := &tickets.Watcher{Service: svc, Reevaluate: re.fn, Now: clock.Now, PollInterval: time.Minute,
		PollEvery: time.Millisecond, RetryBase: 10 * time.Second, RetryMax: 80 * time.Second}
	return w, svc
}

func TestWatcherPollsWaitingTickets(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	is := approvedIssue("PAY-12")
	is.Status, is.Approvals[0].FinalDecision, is.Approvals[0].Approvers[0].Decision = "Waiting for approval", "pending", "pending"
	fake.Put(is)
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	var re reevals
	w, svc := watcherFor(t, fake, clock, &re)
	ctx := context.Background()
	pr := tickets.Subject{InstallationID: 1, Repo: "acme/payments", Number: 7}

	snap := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": snap}, true)
	if n := w.PollOnce(ctx); n != 0 {
		t.Fatalf("polled %d before the interval", n)
	}
	clock.Add(time.Minute)
	if n := w.PollOnce(ctx); n != 1 {
		t.Fatalf("polled %d, want 1", n)
	}
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Fatalf("an unchanged ticket re-evaluated %v", got)
	}

	fake.Update("PAY-12", func(i *ticketstest.Issue) { *i = approvedIssue("PAY-12") })
	clock.Add(time.Minute)
	w.PollOnce(ctx)
	w.Flush(ctx)
	if got := re.take(); len(got) != 1 || got[0] != pr {
		t.Fatalf("approved ticket re-evaluated %v, want %v", got, pr)
	}
	if s := svc.Snapshot(ctx, policy.SystemJira, "PAY-12"); s.Status != "Approved" {
		t.Errorf("the poll did not refresh the cache: %s", s.Status)
	}

	// The PR passes: its ticket is no longer polled.
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": snap}, false)
	if len(w.Waiting()) != 0 {
		t.Errorf("still waiting on %v after a pass", w.Waiting())
	}
}

func TestWatcherBacksOffWhileUnreachable(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	fake.Fail(http.StatusServiceUnavailable)
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	var re reevals
	w, svc := watcherFor(t, fake, clock, &re)
	ctx := context.Background()
	pr := tickets.Subject{InstallationID: 1, Repo: "acme/payments", Number: 7}
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": svc.Snapshot(ctx, policy.SystemJira, "PAY-12")}, true)

	// Retries at 10s, then 20s, 40s, 80s, 80s after each failure.
	for _, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 80 * time.Second} {
		clock.Add(wait - time.Second)
		if n := w.PollOnce(ctx); n != 0 {
			t.Fatalf("polled %s early", time.Second)
		}
		clock.Add(time.Second)
		if n := w.PollOnce(ctx); n != 1 {
			t.Fatalf("not polled after %s", wait)
		}
	}
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Fatalf("re-evaluated while still unreachable: %v", got)
	}
	fake.Fail(0)
	clock.Add(80 * time.Second)
	w.PollOnce(ctx)
	w.Flush(ctx)
	if got := re.take(); len(got) != 1 {
		t.Fatalf("recovery re-evaluated %v, want the PR", got)
	}
}

func TestWatcherChangedReevaluatesReferencingPRs(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	var re reevals
	w, svc := watcherFor(t, fake, clock, &re)
	ctx := context.Background()
	snap := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	a, b, c := tickets.Subject{Repo: "acme/a", Number: 1}, tickets.Subject{Repo: "acme/b", Number: 2}, tickets.Subject{Repo: "acme/c", Number: 3}
	w.Observe(a, map[string]policy.TicketSnapshot{"PAY-12": snap}, false) // passing PRs are re-evaluated too
	w.Observe(b, map[string]policy.TicketSnapshot{"PAY-12": snap}, true)
	w.Observe(c, map[string]policy.TicketSnapshot{}, false)
	n := fake.Requests()
	w.Changed(policy.SystemJira, "PAY-12")
	w.Flush(ctx)
	got := re.take()
	if len(got) != 2 {
		t.Fatalf("re-evaluated %v, want a and b", got)
	}
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	if fake.Requests() == n {
		t.Errorf("the webhook did not drop the cached ticket")
	}
	w.Changed(policy.SystemJira, "PAY-99")
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Errorf("an unreferenced ticket re-evaluated %v", got)
	}
}

// A webhook that arrives while an evaluation that read the old ticket is still running
// (it is Observed only after publishing, so Changed finds no PR yet) re-evaluates the PR
// when that evaluation is Observed, once, with the ticket read fresh; an evaluation that
// read the ticket after the change is not re-evaluated for it.
func TestWatcherChangeDuringAnEvaluationReevaluatesWhenObserved(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	clock := &fakeClock{now: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	var re reevals
	w, svc := watcherFor(t, fake, clock, &re)
	ctx := context.Background()
	pr := tickets.Subject{Repo: "acme/a", Number: 1}
	old := svc.Snapshot(ctx, policy.SystemJira, "PAY-12") // the evaluation reads the ticket...
	clock.Add(2 * time.Second)
	w.Changed(policy.SystemJira, "PAY-12") // ...the ticket changes: no PR known yet...
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Fatalf("re-evaluated %v before any evaluation was observed", got)
	}
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")                       // a read racing the webhook caches the old ticket again
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": old}, true) // ...and only then is it observed
	w.Flush(ctx)
	if got := re.take(); len(got) != 1 || got[0] != pr {
		t.Fatalf("re-evaluated %v, want the PR whose evaluation read the ticket before the webhook", got)
	}
	n := fake.Requests()
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	if fake.Requests() == n {
		t.Errorf("the re-evaluation would read the cached old ticket")
	}
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": old}, true)
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Fatalf("one change re-evaluated the PR again: %v", got)
	}
	clock.Add(2 * time.Second)
	w.Changed(policy.SystemJira, "PAY-12") // known now: re-evaluated by the webhook itself
	w.Flush(ctx)
	if got := re.take(); len(got) != 1 {
		t.Fatalf("re-evaluated %v, want the PR once", got)
	}
	clock.Add(2 * time.Second)
	fresh := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	w.Observe(pr, map[string]policy.TicketSnapshot{"PAY-12": fresh}, true)
	w.Flush(ctx)
	if got := re.take(); len(got) != 0 {
		t.Fatalf("an evaluation that read the ticket after the change re-evaluated %v", got)
	}
}
