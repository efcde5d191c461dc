package recovery_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/recovery"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// manualTicks drives a Loops by hand: every ticker of one interval shares a channel, and a
// test sends on it to make that tick happen. No test waits on the clock.
type manualTicks struct {
	mu sync.Mutex
	ch map[time.Duration]chan time.Time
}

type manualTicker struct{ ch chan time.Time }

func (m manualTicker) C() <-chan time.Time { return m.ch }
func (m manualTicker) Stop()               {}

func (m *manualTicks) channel(d time.Duration) chan time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ch == nil {
		m.ch = map[time.Duration]chan time.Time{}
	}
	if m.ch[d] == nil {
		m.ch[d] = make(chan time.Time)
	}
	return m.ch[d]
}

func (m *manualTicks) NewTicker(d time.Duration) recovery.Ticker { return manualTicker{m.channel(d)} }

// tick delivers one tick of interval d (it blocks until the loop takes it).
func (m *manualTicks) tick(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m.channel(d) <- time.Now():
	case <-time.After(60 * time.Second): // generous: a loaded CI machine is slow, a hang still fails
		t.Fatalf("nobody took a %v tick", d)
	}
}

// countingLeader counts TryLead calls and wins.
type countingLeader struct {
	store.Leader
	tries, wins atomic.Int64
}

func (c *countingLeader) TryLead(ctx context.Context, name string) (func(), bool, error) {
	release, ok, err := c.Leader.TryLead(ctx, name)
	c.tries.Add(1)
	if ok {
		c.wins.Add(1)
	}
	return release, ok, err
}

// waitFor polls cond (tiny polling; the loops run on their own goroutine). The deadline
// is generous for a loaded CI machine; a condition that never holds still fails.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

const (
	reconcileEvery = time.Minute
	sweepEvery     = time.Hour
)

// replica is one server process: its own store connection pool, loops, ticks and metrics.
type replica struct {
	leader *countingLeader
	ticks  *manualTicks
	counts *recovery.Counts
	sweeps atomic.Int64
	cancel context.CancelFunc
	done   chan struct{}
}

func startReplica(t *testing.T, gh *githubtest.Server, st store.Store) *replica {
	t.Helper()
	r := &replica{leader: &countingLeader{Leader: st}, ticks: &manualTicks{}, done: make(chan struct{})}
	m, counts := recovery.NewCountMetrics()
	r.counts = counts
	rec := &recovery.Reconciler{App: appClient(t, gh), Store: st, Sleep: noSleep, Metrics: m, Log: testLog(t)}
	sw := &recovery.Sweeper{
		Installations: func(context.Context) ([]recovery.Installation, error) { r.sweeps.Add(1); return nil, nil },
		Clients:       clients(t, gh).NewInstallationClient, Store: st, Metrics: m, Log: testLog(t),
		Evaluate: func(context.Context, recovery.Reevaluation) error { return nil },
	}
	l := &recovery.Loops{Leader: r.leader, Reconciler: rec, Sweeper: sw, ReconcileEvery: reconcileEvery,
		SweepEvery: sweepEvery, NewTicker: r.ticks.NewTicker, Metrics: m, Log: testLog(t)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := l.Run(ctx); err != nil {
			t.Errorf("loops: %v", err)
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *replica) stop() {
	r.cancel()
	<-r.done
}

func (r *replica) leading() bool { return r.counts.Leader.Value() == 1 }

// TestLoopsOneLeaderTakesOver: two replicas on one PostgreSQL database; exactly one runs
// the loops; when it stops, the other takes over on its next tick, and no delivery is
// redelivered twice.
func TestLoopsOneLeaderTakesOver(t *testing.T) {
	b := storetest.New(t, "postgres")
	gh := githubtest.New(t)
	gh.AddHookDelivery(failed("guid-1", time.Hour), "pull_request", nil)

	a := startReplica(t, gh, openStore(t, b))
	waitFor(t, "replica A to lead, redeliver guid-1 and sweep", func() bool {
		return a.leading() && a.counts.Redelivered.Value() == 1 && a.sweeps.Load() == 1
	})

	bb := startReplica(t, gh, openStore(t, b))
	waitFor(t, "replica B to try", func() bool { return bb.leader.tries.Load() == 1 })
	bb.ticks.tick(t, reconcileEvery) // a follower retries on its tick, and loses again
	waitFor(t, "replica B to retry", func() bool { return bb.leader.tries.Load() == 2 })

	gh.AddHookDelivery(failed("guid-2", time.Minute), "pull_request", nil)
	a.ticks.tick(t, reconcileEvery)
	waitFor(t, "the leader to redeliver guid-2", func() bool { return a.counts.Redelivered.Value() == 2 })
	a.ticks.tick(t, sweepEvery)
	waitFor(t, "the leader to sweep on its tick", func() bool { return a.sweeps.Load() == 2 })
	if bb.leading() || bb.leader.wins.Load() != 0 || bb.counts.DeliveriesSeen.Value() != 0 || bb.sweeps.Load() != 0 {
		t.Fatalf("the follower ran: wins %d seen %d sweeps %d", bb.leader.wins.Load(), bb.counts.DeliveriesSeen.Value(), bb.sweeps.Load())
	}

	a.stop() // the leader goes away and releases the lock
	if a.leading() {
		t.Error("a stopped replica still reports leading")
	}
	gh.AddHookDelivery(failed("guid-3", time.Second), "pull_request", nil)
	bb.ticks.tick(t, reconcileEvery)
	waitFor(t, "replica B to take over, redeliver guid-3 and sweep", func() bool {
		return bb.leading() && bb.counts.Redelivered.Value() == 1 && bb.sweeps.Load() == 1
	})
	if got := gh.Redeliveries(); len(got) != 3 {
		t.Errorf("redelivery requests %v, want one per GUID (3)", got)
	}
}

// TestLoopsSQLiteLeadsAlone: with SQLite the single process leads at once and runs both jobs
// at start and on their ticks.
func TestLoopsSQLiteLeadsAlone(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddHookDelivery(failed("guid-1", time.Hour), "pull_request", nil)
	r := startReplica(t, gh, openStore(t, storetest.New(t, "sqlite")))
	waitFor(t, "the single process to lead and run both jobs", func() bool {
		return r.leading() && r.counts.Redelivered.Value() == 1 && r.sweeps.Load() == 1
	})
	r.ticks.tick(t, sweepEvery)
	waitFor(t, "a sweep on its tick", func() bool { return r.sweeps.Load() == 2 })
	r.stop()
	if r.leader.tries.Load() != 1 || r.leading() {
		t.Errorf("tries %d leading %v, want 1 try and not leading after stop", r.leader.tries.Load(), r.leading())
	}
}
