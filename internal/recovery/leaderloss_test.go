package recovery_test

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/recovery"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// lockReplica runs Loops elected by store.Locks, with a grace period the test ends by
// hand (graceCh) and a sweep job that counts.
type lockReplica struct {
	counts  *recovery.Counts
	sweeps  atomic.Int64
	ticks   *manualTicks
	graceCh chan time.Time
	cancel  context.CancelFunc
	done    chan struct{}
}

func startLockReplica(t *testing.T, st store.Store) *lockReplica {
	t.Helper()
	r := &lockReplica{ticks: &manualTicks{}, graceCh: make(chan time.Time, 1), done: make(chan struct{})}
	m, counts := recovery.NewCountMetrics()
	r.counts = counts
	gh := githubtest.New(t)
	sw := &recovery.Sweeper{
		Installations: func(context.Context) ([]recovery.Installation, error) { r.sweeps.Add(1); return nil, nil },
		Clients:       clients(t, gh).NewInstallationClient, Store: st, Metrics: m, Log: testLog(t),
		Evaluate: func(context.Context, recovery.Reevaluation) error { return nil },
	}
	l := &recovery.Loops{Leader: st, Locks: st, Sweeper: sw, ReconcileEvery: reconcileEvery, SweepEvery: sweepEvery,
		NewTicker: r.ticks.NewTicker, Metrics: m, Log: testLog(t),
		Grace: 3 * time.Second, After: func(time.Duration) <-chan time.Time { return r.graceCh }}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := l.Run(ctx); err != nil {
			t.Errorf("loops: %v", err)
		}
	}()
	t.Cleanup(func() { r.cancel(); <-r.done })
	return r
}

func (r *lockReplica) leading() bool { return r.counts.Leader.Value() == 1 }

// TestLeaderStopsWhenItsLockIsLost: the leader's database session is killed (a failover);
// the leader notices, stops its jobs and reports not leading, and only then can another
// replica lead, which waits out the grace period before its first job.
func TestLeaderStopsWhenItsLockIsLost(t *testing.T) {
	b := storetest.New(t, "postgres")
	u, err := url.Parse(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf("fleet-leader-%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	stA, err := store.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stA.Close() })

	a := startLockReplica(t, stA)
	waitFor(t, "A to win the lock", a.leading)
	if a.sweeps.Load() != 0 {
		t.Fatal("A ran a job before its grace period ended")
	}
	a.graceCh <- time.Now()
	waitFor(t, "A to sweep after the grace period", func() bool { return a.sweeps.Load() == 1 })

	bb := startLockReplica(t, openStore(t, b))
	bb.ticks.tick(t, reconcileEvery)
	if bb.leading() {
		t.Fatal("B leads while A holds the lock")
	}

	raw := b.Raw(t)
	var killed int
	if err := raw.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no session of A terminated")
	}
	waitFor(t, "A to notice the lost lock and stop leading", func() bool { return !a.leading() })

	bb.ticks.tick(t, reconcileEvery)
	waitFor(t, "B to win the lock", bb.leading)
	if bb.sweeps.Load() != 0 {
		t.Fatal("B ran a job before its grace period ended")
	}
	bb.graceCh <- time.Now()
	waitFor(t, "B to sweep", func() bool { return bb.sweeps.Load() == 1 })
	a.ticks.tick(t, reconcileEvery) // A, following again, retries on its tick and loses
	a.ticks.tick(t, reconcileEvery) // (the second tick is taken only after the first try ended)
	if a.leading() {
		t.Fatal("A leads again while B holds the lock")
	}
}
