package store

import (
	"context"
	"fmt"
	"sync"
)

// TryLead: with SQLite the one process is always the leader. With PostgreSQL a session
// advisory lock, held on a connection set aside for it, decides; it is released by the
// returned function or by the server when the process (and so the connection) dies.
func (s *sqlStore) TryLead(ctx context.Context, name string) (func(), bool, error) {
	if s.d.name() != "postgres" {
		return func() {}, true, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("try lead %q: %w", name, err)
	}
	const key = `hashtext('foureyes.lead.' || current_schema()), hashtext(?)`
	var ok bool
	if err := conn.QueryRowContext(ctx, s.d.rebind(`SELECT pg_try_advisory_lock(`+key+`)`), name).Scan(&ok); err != nil {
		conn.Close()
		return nil, false, fmt.Errorf("try lead %q: %w", name, err)
	}
	if !ok {
		conn.Close()
		return nil, false, nil
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			// Unlock explicitly: closing only returns the connection to the pool,
			// where the session (and its lock) would live on.
			_, _ = conn.ExecContext(context.Background(), s.d.rebind(`SELECT pg_advisory_unlock(`+key+`)`), name)
			conn.Close()
		})
	}
	return release, true, nil
}
