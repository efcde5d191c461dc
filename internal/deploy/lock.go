package deploy

import (
	"context"
	"fmt"

	"github.com/foureyes/foureyes/internal/store"
)

// locks serialises the work on one (run, environment): two deliveries of the same request
// handled at once, on one replica or on two, must not both decide and both answer. The
// store's named lock holds across replicas (a PostgreSQL advisory lock; inside the
// process with SQLite, where there is one process).
type locks struct{}

// acquire waits for key and returns its lock; the caller checks it before answering.
func (locks) acquire(ctx context.Context, l store.Locks, key string) (store.Lock, error) {
	lock, err := l.Lock(ctx, "deploy-gate:"+key)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", key, err)
	}
	return lock, nil
}
