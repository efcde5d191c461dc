package store

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// sqlStore implements Store (and ChainReader) for both backends over database/sql.
type sqlStore struct {
	db     *sql.DB
	d      dialect
	name   string // file path or database name, for error messages
	schema string // PostgreSQL only

	// clock is the store's time; lease tests move it instead of sleeping.
	clock func() time.Time

	app       *appender
	closeOnce sync.Once
	closeErr  error
}

func (s *sqlStore) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.db.ExecContext(ctx, s.d.rebind(q), args...)
}

func (s *sqlStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return s.db.QueryContext(ctx, s.d.rebind(q), args...)
}

func (s *sqlStore) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return s.db.QueryRowContext(ctx, s.d.rebind(q), args...)
}

func (s *sqlStore) now() time.Time {
	if s.clock != nil {
		return s.clock().UTC()
	}
	return time.Now().UTC()
}

// Ping checks that the database answers.
func (s *sqlStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// Close stops the appender (pending appends finish first) and closes the database.
func (s *sqlStore) Close() error {
	s.closeOnce.Do(func() {
		if s.app != nil {
			s.app.stop()
		}
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// micros stores times as unix microseconds: exact in both backends, zero for zero.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}
