package recovery

import (
	"context"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// LeaderLock is the Store.TryLead name of the recovery loops.
const LeaderLock = "foureyes-recovery"

// Loop defaults.
const (
	DefaultReconcileEvery = 5 * time.Minute
	DefaultSweepEvery     = time.Hour
)

// Ticker is the part of *time.Ticker the loops use; tests drive the loops with their own.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type timeTicker struct{ t *time.Ticker }

func (t timeTicker) C() <-chan time.Time { return t.t.C }
func (t timeTicker) Stop()               { t.t.Stop() }

// Loops runs the reconciler and the sweeper on one replica at a time.
//
// Every replica calls Run. A replica that wins Store.TryLead(LeaderLock) runs both jobs at
// once (a start may follow downtime, whose lost webhooks are what the jobs are for), then
// each on its interval, one after the other on one goroutine so they never compete for the
// rate limit. The others retry TryLead on every reconcile tick; when the leader stops (or
// its process dies, which ends its PostgreSQL session and lock) one of them takes over
// within one interval. With SQLite TryLead always succeeds: the single process leads.
type Loops struct {
	Leader     store.Leader
	Reconciler *Reconciler // nil: no redelivery
	Sweeper    *Sweeper    // nil: no sweep

	ReconcileEvery time.Duration // default DefaultReconcileEvery; also the followers' retry interval
	SweepEvery     time.Duration // default DefaultSweepEvery

	NewTicker func(d time.Duration) Ticker // default time.NewTicker; tests tick by hand
	Metrics   *Metrics
	Log       zerolog.Logger

	// Locks, when set, elects the leader instead of Leader, with a lock whose loss is
	// noticed (store.Lock.Lost: its session is checked every second): the jobs stop as
	// soon as the lock is lost, and this replica follows again.
	Locks store.Locks
	// Grace is how long a replica that just won the lock waits before its first job: a
	// leader that lost its lock notices within about a second and stops, so with a
	// Grace longer than that two replicas never run the jobs at once. 0 for SQLite,
	// where the one process always leads.
	Grace time.Duration
	// After is time.After; tests wait on their own channel.
	After func(time.Duration) <-chan time.Time
}

// leaderLockName is the store.Locks name of the leader lock; TryLead uses the same one.
const leaderLockName = "lead:" + LeaderLock

// tryLead takes leadership: it returns the release function and a channel closed when
// leadership is lost (never, with Leader alone).
func (l *Loops) tryLead(ctx context.Context) (func(), <-chan struct{}, bool, error) {
	if l.Locks == nil {
		release, ok, err := l.Leader.TryLead(ctx, LeaderLock)
		return release, nil, ok, err
	}
	lock, ok, err := l.Locks.TryLock(ctx, leaderLockName)
	if err != nil || !ok {
		return nil, nil, false, err
	}
	return lock.Release, lock.Lost(), true, nil
}

// leadWhileHeld runs the jobs until ctx ends or lost closes.
func (l *Loops) leadWhileHeld(ctx context.Context, lost <-chan struct{}) (wasLost bool) {
	leadCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	if lost != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case <-lost:
				cancel()
			case <-stop:
			}
		}()
	}
	if l.Grace > 0 {
		after := time.After
		if l.After != nil {
			after = l.After
		}
		select {
		case <-after(l.Grace):
		case <-leadCtx.Done():
			return ctx.Err() == nil
		}
	}
	l.lead(leadCtx)
	return ctx.Err() == nil && leadCtx.Err() != nil
}

func (l *Loops) ticker(d time.Duration) Ticker {
	if l.NewTicker != nil {
		return l.NewTicker(d)
	}
	return timeTicker{time.NewTicker(d)}
}

// Run blocks until ctx ends, leading when it can. It returns nil on cancellation; a
// failing TryLead or job is logged and tried again on the next tick.
func (l *Loops) Run(ctx context.Context) error {
	retry := l.ticker(orDefault(l.ReconcileEvery, DefaultReconcileEvery))
	defer retry.Stop()
	following := false
	for {
		release, lost, ok, err := l.tryLead(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			l.Log.Error().Err(err).Msg("recovery loops cannot try for leadership; retrying on the next tick")
		case ok:
			l.Log.Info().Msg("this replica leads the recovery loops")
			l.Metrics.setLeader(true)
			wasLost := l.leadWhileHeld(ctx, lost)
			release()
			l.Metrics.setLeader(false)
			if wasLost {
				l.Log.Warn().Msg("the leader lock was lost (its database session ended): stopped leading the recovery loops")
			} else {
				l.Log.Info().Msg("this replica stopped leading the recovery loops")
			}
			following = false
		case !following && ctx.Err() == nil:
			l.Log.Info().Msg("another replica leads the recovery loops; following")
			following = true
		}
		select {
		case <-ctx.Done():
			return nil
		case <-retry.C():
		}
	}
}

// lead runs both jobs now, then on their tickers, until ctx ends.
func (l *Loops) lead(ctx context.Context) {
	reconcile := l.ticker(orDefault(l.ReconcileEvery, DefaultReconcileEvery))
	defer reconcile.Stop()
	sweep := l.ticker(orDefault(l.SweepEvery, DefaultSweepEvery))
	defer sweep.Stop()
	l.reconcile(ctx)
	l.sweep(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-reconcile.C():
			l.reconcile(ctx)
		case <-sweep.C():
			l.sweep(ctx)
		}
	}
}

func (l *Loops) reconcile(ctx context.Context) {
	if l.Reconciler == nil || ctx.Err() != nil {
		return
	}
	if _, err := l.Reconciler.RunOnce(ctx); err != nil && ctx.Err() == nil {
		l.Log.Error().Err(err).Msg("redelivery reconcile failed; next tick retries")
	}
}

func (l *Loops) sweep(ctx context.Context) {
	if l.Sweeper == nil || ctx.Err() != nil {
		return
	}
	if _, err := l.Sweeper.RunOnce(ctx); err != nil && ctx.Err() == nil {
		l.Log.Error().Err(err).Msg("sweep failed; next tick retries")
	}
}
