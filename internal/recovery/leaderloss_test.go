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
	locks   *countingLocks
	sweeps  atomic.Int64
	ticks   *manualTicks
	graceCh chan time.Time
	cancel  context.CancelFunc
	done    chan struct{}
}

func startLockReplica(t *testing.T, st store.Store) *lockReplica {
	t.Helper()
	r := &lockReplica{ticks: &manualTicks{}, graceCh: make(chan time.Time, 1), done: make(chan struct{}),
		locks: &countingLocks{Locks: st}}
	m, counts := recovery.NewCountMetrics()
	r.counts = counts
	gh := githubtest.New(t)
	sw := &recovery.Sweeper{
		Installations: func(context.Context) ([]recovery.Installation, error) { r.sweeps.Add(1); return nil, nil },
		Clients:       clients(t, gh).NewInstallationClient, Store: st, Metrics: m, Log: testLog(t),
		Evaluate: func(context.Context, recovery.Reevaluation) error { return nil },
	}
	l := &recovery.Loops{Leader: st, Locks: r.locks, Sweeper: sw, ReconcileEvery: reconcileEvery, SweepEvery: sweepEvery,
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

// countingLocks counts the TryLock calls that have returned, so a test knows a replica's
// try for the lock is over (won or lost) before it looks at the outcome.
type countingLocks struct {
	store.Locks
	tries atomic.Int64
}

func (c *countingLocks) TryLock(ctx context.Context, name string) (store.Lock, bool, error) {
	defer c.tries.Add(1)
	return c.Locks.TryLock(ctx, name)
}

// retry ticks the replica's follower loop once and waits until the try that tick starts
// has returned: only then does leading() say what that try decided.
func (r *lockReplica) retry(t *testing.T) {
	t.Helper()
	before := r.locks.tries.Load()
	r.ticks.tick(t, reconcileEvery)
	waitFor(t, "the replica's try for the lock to end", func() bool { return r.locks.tries.Load() > before })
}

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
	// B's first try (at start) and one retry both end, lost, before A's session is killed:
	// a try still running at the kill could win and make the rest of the test meaningless.
	waitFor(t, "B's first try for the lock to end", func() bool { return bb.locks.tries.Load() >= 1 })
	bb.retry(t)
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

	// A's client may see its session end a moment before the server has released the
	// session's locks, so B's first try after that can still lose: like a follower, B
	// retries on its ticks until it wins (bounded: a lock never freed fails the test).
	deadline := time.Now().Add(60 * time.Second)
	for bb.retry(t); !bb.leading(); bb.retry(t) {
		if time.Now().After(deadline) {
			t.Fatal("B never won the lock A lost")
		}
	}
	if bb.sweeps.Load() != 0 {
		t.Fatal("B ran a job before its grace period ended")
	}
	bb.graceCh <- time.Now()
	waitFor(t, "B to sweep", func() bool { return bb.sweeps.Load() == 1 })
	a.retry(t) // A, following again, retries on its tick and loses
	if a.leading() {
		t.Fatal("A leads again while B holds the lock")
	}
}
