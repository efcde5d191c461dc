package inbox

import (
	"context"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

type fakeRenewer struct {
	mu     sync.Mutex
	calls  [][]string
	lost   map[string]bool
	err    error
	leases []time.Duration
}

func (f *fakeRenewer) Renew(_ context.Context, ids []string, lease time.Duration) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	got := append([]string(nil), ids...)
	sort.Strings(got)
	f.calls = append(f.calls, got)
	f.leases = append(f.leases, lease)
	if f.err != nil {
		return nil, f.err
	}
	var out []string
	for _, id := range ids {
		if f.lost[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

func TestLeasesBoundAndHeartbeatUnit(t *testing.T) {
	r := &fakeRenewer{lost: map[string]bool{}}
	l := NewLeases(r, 30*time.Second, 3, zerolog.Nop())
	if l.Room() != 3 {
		t.Fatalf("room = %d, want 3", l.Room())
	}
	l.Hold("a", "b", "c")
	if l.Room() != 0 {
		t.Fatalf("room = %d with 3 of 3 held", l.Room())
	}
	ctx := context.Background()
	l.Beat(ctx)
	if len(r.calls) != 1 || len(r.calls[0]) != 3 || r.leases[0] != 30*time.Second {
		t.Fatalf("beat renewed %v for %v, want a, b, c for 30s", r.calls, r.leases)
	}
	l.Drop("b")
	select {
	case <-l.Freed():
	default:
		t.Fatal("Drop did not signal room")
	}
	if l.Room() != 1 {
		t.Fatalf("room = %d after a drop", l.Room())
	}
	// A lease taken over by another replica is not renewed again.
	r.lost["c"] = true
	l.Beat(ctx)
	l.Beat(ctx)
	if got := r.calls[2]; len(got) != 1 || got[0] != "a" {
		t.Fatalf("after c was lost, the beat renewed %v, want [a]", got)
	}
	// The store down: the beat fails, nothing is forgotten, the next beat tries again.
	r.err = errors.New("store unavailable")
	l.Beat(ctx)
	r.err = nil
	l.Beat(ctx)
	if got := r.calls[len(r.calls)-1]; len(got) != 1 || got[0] != "a" {
		t.Fatalf("after a failed beat, renewed %v, want [a]", got)
	}
	l.Drop("zzz") // unknown: no signal, no panic
	select {
	case <-l.Freed():
		t.Fatal("dropping an unknown delivery signalled room")
	default:
	}
}

func TestLeasesRunBeatsUntilCancelledUnit(t *testing.T) {
	r := &fakeRenewer{lost: map[string]bool{}}
	l := NewLeases(r, 30*time.Second, 3, zerolog.Nop())
	l.tick = time.Millisecond
	l.Hold("a")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r.mu.Lock()
		n := len(r.calls)
		r.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("heartbeat did not run")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
