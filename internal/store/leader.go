package store

import (
	"context"
	"fmt"
)

// TryLead: with SQLite the one process is always the leader. With PostgreSQL a session
// advisory lock (TryLock of "lead:"+name) decides; it is released by the returned
// function or by the server when the process (and so the connection) dies. Callers that
// must know when they stop leading use TryLock and watch the lock's Lost channel.
func (s *sqlStore) TryLead(ctx context.Context, name string) (func(), bool, error) {
	if s.d.name() != "postgres" {
		return func() {}, true, nil
	}
	l, ok, err := s.TryLock(ctx, "lead:"+name)
	if err != nil {
		return nil, false, fmt.Errorf("try lead %q: %w", name, err)
	}
	if !ok {
		return nil, false, nil
	}
	return l.Release, true, nil
}
