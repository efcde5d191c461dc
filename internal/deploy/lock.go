package deploy

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// locks serialises the work on one (run, environment): two deliveries of the same request
// handled at once must not both decide and both answer. In-process by a keyed mutex;
// across replicas by the store's named lock (a PostgreSQL advisory lock; always granted
// with SQLite, where there is one process).
type locks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// acquire waits for key and returns its release function.
func (l *locks) acquire(ctx context.Context, leader store.Leader, key string) (func(), error) {
	for {
		l.mu.Lock()
		if l.held == nil {
			l.held = map[string]chan struct{}{}
		}
		ch, busy := l.held[key]
		if !busy {
			ch = make(chan struct{})
			l.held[key] = ch
			l.mu.Unlock()
			break
		}
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	local := func() {
		l.mu.Lock()
		close(l.held[key])
		delete(l.held, key)
		l.mu.Unlock()
	}
	for {
		release, ok, err := leader.TryLead(ctx, "deploy-gate:"+key)
		if err != nil {
			local()
			return nil, fmt.Errorf("lock %s: %w", key, err)
		}
		if ok {
			return func() { release(); local() }, nil
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			local()
			return nil, ctx.Err()
		}
	}
}
