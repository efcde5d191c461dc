package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// sqlStore implements Store (and ChainReader) for both backends over database/sql.
type sqlStore struct {
	db     *sql.DB    // every read; on PostgreSQL every write too
	wdb    *sql.DB    // SQLite only: the one writer connection, used by w
	cdb    *sql.DB    // SQLite only: the WAL checkpointer's connection
	ldb    *sql.DB    // PostgreSQL only: the sessions that hold advisory locks (Lock)
	local  localLocks // SQLite only: Lock inside the one process
	w      *writer    // SQLite only: serialised, group-committed writes
	d      dialect
	name   string // file path or database name, for error messages
	schema string // PostgreSQL only
	holder string // this instance's lease token (Claim, Renew)

	// clock is the store's time; lease tests move it instead of sleeping.
	clock func() time.Time
	// retryPolicy bounds the store's own retries of transient errors (zero: the default).
	retryPolicy retryPolicy

	app       *appender
	sig       signer // the key that signs appended records, once set
	closeOnce sync.Once
	closeErr  error
}

// exec runs one derived write statement (through the writer on SQLite).
func (s *sqlStore) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return s.execSync(ctx, derived, q, args...)
}

// execSync runs one write statement with the given durability.
func (s *sqlStore) execSync(ctx context.Context, sync durability, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := s.write(ctx, sync, func(ctx context.Context, tx querier) error {
		var err error
		res, err = tx.ExecContext(ctx, s.d.rebind(q), args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// query runs a read, retrying a transient failure to start it (see retry).
func (s *sqlStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	var rows *sql.Rows
	err := s.retry(ctx, func() error {
		var err error
		rows, err = s.db.QueryContext(ctx, s.d.rebind(q), args...)
		return err
	})
	return rows, err
}

// queryRow runs a one-row read, retrying a transient failure to run it; the row's error
// (including sql.ErrNoRows) comes from Scan as usual.
func (s *sqlStore) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	var row *sql.Row
	_ = s.retry(ctx, func() error {
		row = s.db.QueryRowContext(ctx, s.d.rebind(q), args...)
		if err := row.Err(); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		return nil
	})
	return row
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
		if s.w != nil {
			s.w.stop() // after the appender, which writes through it
		}
		s.closeErr = s.db.Close()
		for _, db := range []*sql.DB{s.wdb, s.cdb, s.ldb} {
			if db == nil {
				continue
			}
			if err := db.Close(); s.closeErr == nil {
				s.closeErr = err
			}
		}
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
