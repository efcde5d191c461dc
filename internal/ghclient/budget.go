package ghclient

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Budget follows each installation's rate limit from the x-ratelimit-* headers of its
// answers, so background work (the sweeper, the policy fan-out) can wait when the
// installation runs low and leave the rest to webhook-driven evaluations, which never
// wait here.
type Budget struct {
	reserve int
	now     func() time.Time
	waited  func() // counts a wait (a metric); may be nil

	mu     sync.Mutex
	byInst map[int64]rateState
}

type rateState struct {
	remaining int
	reset     time.Time
}

// NewBudget keeps reserve requests of each installation for interactive work.
func NewBudget(reserve int, now func() time.Time, waited func()) *Budget {
	if now == nil {
		now = time.Now
	}
	return &Budget{reserve: reserve, now: now, waited: waited, byInst: map[int64]rateState{}}
}

type installationKey struct{}

// WithInstallation marks the requests made with ctx as the installation's, so their
// rate-limit headers update its budget.
func WithInstallation(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, installationKey{}, id)
}

func installationOf(ctx context.Context) (int64, bool) {
	id, ok := ctx.Value(installationKey{}).(int64)
	return id, ok && id != 0
}

// observe records what GitHub said about the core rate limit.
func (b *Budget) observe(inst int64, h http.Header) {
	if b == nil {
		return
	}
	if res := h.Get("X-RateLimit-Resource"); res != "" && res != "core" {
		return
	}
	rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return
	}
	st := rateState{remaining: rem}
	if r, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		st.reset = time.Unix(r, 0)
	}
	b.mu.Lock()
	b.byInst[inst] = st
	b.mu.Unlock()
}

// Low says whether the installation is below its reserve, and until when.
func (b *Budget) Low(inst int64) (bool, time.Time) {
	if b == nil {
		return false, time.Time{}
	}
	b.mu.Lock()
	st, ok := b.byInst[inst]
	b.mu.Unlock()
	if !ok || st.remaining >= b.reserve || !st.reset.After(b.now()) {
		return false, time.Time{}
	}
	return true, st.reset
}

// WaitBackground blocks background work of inst while the installation is below its
// reserve: until GitHub's reset time, or ctx's end (then it returns ctx's error).
func (b *Budget) WaitBackground(ctx context.Context, inst int64) error {
	low, until := b.Low(inst)
	if !low {
		return nil
	}
	if b.waited != nil {
		b.waited()
	}
	t := time.NewTimer(until.Sub(b.now()))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
