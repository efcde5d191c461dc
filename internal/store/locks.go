package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"sync"
	"time"
)

// lockCheckEvery is how often a held PostgreSQL lock's session is checked in the
// background, so Lost is closed within this long after the session dies.
const lockCheckEvery = time.Second

// lockKey is the two-int advisory lock key of a name: the schema keeps stores in one
// database apart, the name picks the lock. A hash collision only serialises two
// unrelated names, never lets two holders in.
const lockKey = `hashtext('foureyes.lock.' || current_schema()), hashtext(?)`

// Lock waits for the named lock.
func (s *sqlStore) Lock(ctx context.Context, name string) (Lock, error) {
	if s.d.name() != "postgres" {
		return s.local.lock(ctx, name)
	}
	for {
		l, err := s.pgLock(ctx, name, true)
		if err == nil || !IsTransient(err) || ctx.Err() != nil {
			return l, err
		}
		// The database is failing over: wait for it like any other transient error.
		if err := s.retry(ctx, func() error { return s.ldb.PingContext(ctx) }); err != nil {
			return nil, fmt.Errorf("lock %q: %w", name, err)
		}
	}
}

// TryLock takes the named lock if it is free.
func (s *sqlStore) TryLock(ctx context.Context, name string) (Lock, bool, error) {
	if s.d.name() != "postgres" {
		return s.local.tryLock(name)
	}
	var l Lock
	err := s.retry(ctx, func() error {
		var err error
		l, err = s.pgLock(ctx, name, false)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return l, l != nil, nil
}

// pgLock takes an advisory lock on a connection of the lock pool, waiting for it when
// wait is set; it returns (nil, nil) when wait is false and the lock is taken.
func (s *sqlStore) pgLock(ctx context.Context, name string, wait bool) (Lock, error) {
	conn, err := s.ldb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	var got sql.NullBool
	if wait {
		_, err = conn.ExecContext(ctx, s.d.rebind(`SELECT pg_advisory_lock(`+lockKey+`)`), name)
		got.Bool = err == nil
	} else {
		err = conn.QueryRowContext(ctx, s.d.rebind(`SELECT pg_try_advisory_lock(`+lockKey+`)`), name).Scan(&got)
	}
	if err != nil {
		// Cancelled while waiting, or the session died: the lock may have been granted
		// just then, so the session is closed rather than returned to the pool with it.
		discard(conn)
		return nil, fmt.Errorf("lock %q: %w", name, err)
	}
	if !got.Bool {
		conn.Close()
		return nil, nil
	}
	l := &pgLock{s: s, conn: conn, name: name, lost: make(chan struct{}), stop: make(chan struct{})}
	go l.watch()
	return l, nil
}

// discard closes a connection for good instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// pgLock is a session advisory lock held on its own connection.
type pgLock struct {
	s    *sqlStore
	conn *sql.Conn
	name string

	mu       sync.Mutex // one statement at a time on conn
	once     sync.Once
	lost     chan struct{}
	stop     chan struct{}
	released bool
}

// Check runs a statement on the lock's session: while the session lives, so does the
// lock (session locks end only with an unlock or the session).
func (l *pgLock) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.lost:
		return fmt.Errorf("lock %q: %w", l.name, ErrLockLost)
	default:
	}
	var one int
	if err := l.conn.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		l.markLost()
		return fmt.Errorf("lock %q: %w (%v)", l.name, ErrLockLost, err)
	}
	return nil
}

func (l *pgLock) Lost() <-chan struct{} { return l.lost }

// markLost closes lost and the session (mu held).
func (l *pgLock) markLost() {
	l.once.Do(func() {
		close(l.lost)
		discard(l.conn)
	})
}

func (l *pgLock) watch() {
	t := time.NewTicker(lockCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.lost:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), lockCheckEvery)
			_ = l.Check(ctx)
			cancel()
		}
	}
}

// Release unlocks explicitly: closing alone would return the session, and its lock, to
// the pool. When the unlock fails the session is closed, which releases it too.
func (l *pgLock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return
	}
	l.released = true
	close(l.stop)
	l.once.Do(func() {
		close(l.lost)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var ok bool
		if err := l.conn.QueryRowContext(ctx, l.s.d.rebind(`SELECT pg_advisory_unlock(`+lockKey+`)`), l.name).Scan(&ok); err != nil || !ok {
			discard(l.conn)
			return
		}
		l.conn.Close()
	})
}

// localLocks are the locks of a SQLite store: the one process that owns the file holds
// them in memory.
type localLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed on release
}

func (ll *localLocks) tryLock(name string) (Lock, bool, error) {
	ll.mu.Lock()
	defer ll.mu.Unlock()
	if ll.held == nil {
		ll.held = map[string]chan struct{}{}
	}
	if _, busy := ll.held[name]; busy {
		return nil, false, nil
	}
	ch := make(chan struct{})
	ll.held[name] = ch
	return &localLock{ll: ll, name: name, ch: ch}, true, nil
}

func (ll *localLocks) lock(ctx context.Context, name string) (Lock, error) {
	for {
		l, ok, _ := ll.tryLock(name)
		if ok {
			return l, nil
		}
		ll.mu.Lock()
		ch := ll.held[name]
		ll.mu.Unlock()
		if ch == nil {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("lock %q: %w", name, ctx.Err())
		}
	}
}

type localLock struct {
	ll   *localLocks
	name string
	ch   chan struct{}
	once sync.Once
}

func (l *localLock) Check(context.Context) error {
	select {
	case <-l.ch:
		return fmt.Errorf("lock %q: %w", l.name, ErrLockLost)
	default:
		return nil
	}
}

func (l *localLock) Lost() <-chan struct{} { return l.ch }

func (l *localLock) Release() {
	l.once.Do(func() {
		l.ll.mu.Lock()
		delete(l.ll.held, l.name)
		close(l.ch)
		l.ll.mu.Unlock()
	})
}
