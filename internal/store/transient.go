package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrUnavailable marks a store error that outlived the store's own retries: the database
// is down, failing over or overloaded. Callers treat it as "try again later", never as
// "this will fail again" (IsTransient reports it).
var ErrUnavailable = errors.New("store unavailable")

// IsTransient says whether a store error may go away if the same operation is made
// again: a lost or refused connection (a PostgreSQL failover or restart: 57P01 admin
// shutdown, 57P03 starting up, 08xxx connection exceptions, too many connections), a
// serialization failure (40001), a deadlock (40P01), a lock timeout, or SQLite's
// SQLITE_BUSY / SQLITE_LOCKED (another process holds the write lock). Constraint
// violations, syntax errors, ErrNotFound, ErrClosed and a cancelled context are not.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrLockLost) {
		return true
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrClosed) || errors.Is(err, context.Canceled) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return true
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, starting up
			return true
		case pe.Code == "53300", pe.Code == "53400": // too many connections, configuration limit
			return true
		case pe.Code == "55P03": // lock not available (lock_timeout)
			return true
		case pe.Code == "25006" && strings.Contains(pe.Message, "read-only"): // a replica promoted late
			return true
		}
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	if pgconn.SafeToRetry(err) || pgconn.Timeout(err) {
		return true
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var oe *net.OpError // dial, read or write on the database's socket
	if errors.As(err, &oe) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	// pgx reports a connection that died under a statement in words only.
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "connection reset") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "unexpected EOF")
}

// retryPolicy is how long the store itself keeps trying a transient failure before it
// gives up with ErrUnavailable: long enough to ride out a PostgreSQL restart or a
// managed failover's switch (seconds), short enough that the webhook route still answers
// GitHub (which waits 10 s) and a worker's lease is not spent waiting.
type retryPolicy struct {
	attempts int
	base     time.Duration
	max      time.Duration
}

var defaultRetry = retryPolicy{attempts: 8, base: 25 * time.Millisecond, max: 1500 * time.Millisecond}

// retry runs op until it succeeds, fails with an error that is not transient, ctx ends,
// or the attempts are spent; then the last error is wrapped in ErrUnavailable. op must
// be safe to run again after a transient failure: it is a whole statement or a whole
// transaction that rolled back (an append whose COMMIT answer was lost is made safe by
// its fact key, see Append).
func (s *sqlStore) retry(ctx context.Context, op func() error) error {
	p := s.retryPolicy
	if p.attempts == 0 {
		p = defaultRetry
	}
	delay := p.base
	var err error
	for attempt := 1; ; attempt++ {
		if err = op(); err == nil || !IsTransient(err) {
			return err
		}
		if attempt >= p.attempts || ctx.Err() != nil {
			break
		}
		// Full jitter: replicas that lost the database together do not return together.
		wait := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		delay = min(delay*2, p.max)
	}
	if errors.Is(err, ErrUnavailable) {
		return err
	}
	return unavailable{err}
}

// unavailable wraps a transient error that outlived the retries: errors.Is(err,
// ErrUnavailable) holds and the cause stays reachable.
type unavailable struct{ cause error }

func (u unavailable) Error() string   { return "store unavailable: " + u.cause.Error() }
func (u unavailable) Unwrap() []error { return []error{ErrUnavailable, u.cause} }
