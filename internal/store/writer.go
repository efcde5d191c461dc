package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// querier is what a write needs: a *sql.DB (PostgreSQL, one autocommit statement) or the
// SQLite writer's shared transaction.
type querier interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// maxWriteBatch bounds the operations of one SQLite write transaction.
const maxWriteBatch = 256

// checkpointCommits is how many commits the writer makes between checkpoints of its
// own (see writer.checkpoint).
const checkpointCommits = 200

// durability says whether a write must be on disk when it returns.
type durability bool

const (
	// durable writes are acknowledged to someone outside the process (GitHub's webhook
	// ack for Enqueue, an audit record for Append): their commit is fsynced
	// (synchronous=FULL) before they return.
	durable durability = true
	// derived writes (claims, completions, retries, PR state, check-run ids, pushes,
	// checkpoints) commit without their own fsync (synchronous=NORMAL). In WAL mode that
	// is still atomic and survives a crash of the process; only an OS crash or power loss
	// can undo them, and then only as a suffix of the WAL: the commits after the last
	// fsync, never one in the middle, and never a durable write (its fsync covers every
	// frame written before it too). Each derived write is redone from state that is
	// durable: a lost Complete, Retry, Fail, Release or Claim leaves its delivery pending
	// or leased, and the worker processes it again after its lease, recording its push,
	// PR state and check run again. So a loss costs repeated work, never an
	// acknowledged webhook or audit record.
	derived durability = false
)

type writeOp struct {
	ctx  context.Context
	sync durability
	fn   func(ctx context.Context, q querier) error
	done chan error // buffered: the writer never waits for a caller that gave up
}

// writer serialises every SQLite write of this process on one connection and commits
// the writes waiting at the same moment together (group commit): each operation runs in
// a savepoint of one shared transaction, so a failing operation is undone alone, and all
// of them share one commit (and at most one fsync) instead of queueing for one each. No
// transaction of this process ever waits in SQLite's busy handler for another one of
// this process; readers use their own pool and are never blocked under WAL. Another
// process writing the same file is still serialised by BEGIN IMMEDIATE and busy_timeout.
type writer struct {
	db      *sql.DB // one connection
	ops     chan *writeOp
	quit    chan struct{}
	wg      sync.WaitGroup
	ckpt    chan struct{} // wakes the checkpointer
	commits int           // since the writer last checkpointed
	full    bool          // the connection's synchronous setting is FULL
}

func newWriter(db, cdb *sql.DB) *writer {
	w := &writer{db: db, ops: make(chan *writeOp), quit: make(chan struct{}), ckpt: make(chan struct{}, 1), full: true}
	w.wg.Add(2)
	go w.loop()
	go w.checkpointer(cdb)
	return w
}

// do runs fn in the writer's next transaction and returns once that transaction is
// committed (fn's error, or the commit's); with durable, once it is on disk. Results fn
// stores are valid only when do returns nil. A caller that gives up gets ctx.Err(); its
// write may still be committed.
func (w *writer) do(ctx context.Context, sync durability, fn func(ctx context.Context, q querier) error) error {
	op := &writeOp{ctx: ctx, sync: sync, fn: fn, done: make(chan error, 1)}
	select {
	case w.ops <- op:
	case <-w.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-op.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *writer) loop() {
	defer w.wg.Done()
	batch := make([]*writeOp, 0, maxWriteBatch)
	errs := make([]error, maxWriteBatch)
	for {
		batch = batch[:0]
		select {
		case op := <-w.ops:
			batch = append(batch, op)
		case <-w.quit:
			return
		}
	drain:
		for len(batch) < maxWriteBatch {
			select {
			case op := <-w.ops:
				batch = append(batch, op)
			default:
				break drain
			}
		}
		commitErr := w.run(batch, errs[:len(batch)])
		for i, op := range batch {
			if commitErr != nil && errs[i] == nil {
				errs[i] = commitErr
			}
			op.done <- errs[i]
			batch[i], errs[i] = nil, nil
		}
		if w.commits >= checkpointCommits {
			w.checkpoint()
		}
	}
}

// checkpoint runs, between two batches and after the first was acknowledged, a PASSIVE
// checkpoint on the writer's own connection. The WAL only starts over from its beginning
// when it was copied entirely, which a checkpoint beside a busy writer never achieves
// (the writer keeps appending): without this the WAL would grow for ever. The
// checkpointer has copied most frames by then, so this one copies only the last few.
func (w *writer) checkpoint() {
	w.commits = 0
	_, _ = w.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	select {
	case w.ckpt <- struct{}{}: // and the checkpointer starts on the next stretch
	default:
	}
}

// run executes batch in one transaction, each operation in its own savepoint, and
// commits, with an fsync when any operation is durable. errs receives each operation's
// own error; the returned error (begin, a savepoint that cannot be rolled back, commit)
// fails every operation.
func (w *writer) run(batch []*writeOp, errs []error) error {
	// A caller giving up must not abort the others' transaction.
	ctx := context.Background()
	full := false
	for _, op := range batch {
		full = full || op.sync == durable
	}
	if full != w.full {
		// Set between transactions: it decides how the next commit syncs.
		mode := "NORMAL"
		if full {
			mode = "FULL"
		}
		if _, err := w.db.ExecContext(ctx, "PRAGMA synchronous = "+mode); err != nil {
			return fmt.Errorf("set synchronous %s: %w", mode, err)
		}
		w.full = full
	}
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ran := 0
	for i, op := range batch {
		if err := op.ctx.Err(); err != nil {
			errs[i] = err // not started: the caller has gone
			continue
		}
		if _, err := tx.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			return err
		}
		if err := op.fn(ctx, tx); err != nil {
			errs[i] = err
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
				return fmt.Errorf("%w (and the transaction could not be rolled back: %v)", err, rerr)
			}
		}
		if _, err := tx.ExecContext(ctx, "RELEASE w"); err != nil {
			return err
		}
		ran++
	}
	if ran == 0 {
		return nil
	}
	w.commits++
	if w.commits == checkpointCommits/2 {
		select {
		case w.ckpt <- struct{}{}:
		default:
		}
	}
	return tx.Commit()
}

// checkpointer copies the WAL into the database file beside the writer: a PASSIVE
// checkpoint waits for no one and no one waits for it, so no commit pays for it (the
// writer's connection has wal_autocheckpoint off). It runs every second and when the
// writer asks, so that little is left to copy when the writer checkpoints itself.
func (w *writer) checkpointer(cdb *sql.DB) {
	defer w.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-w.ckpt:
		case <-t.C:
		}
		_, _ = cdb.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

func (w *writer) stop() {
	close(w.quit)
	w.wg.Wait()
}

// write runs fn against the database: on SQLite through the writer (serialised and
// group-committed), on PostgreSQL directly on the pool, which has row locks and MVCC
// and commits every write durably.
//
// A transient failure (a lost connection, a failover, a deadlock, SQLITE_BUSY from another
// process) is retried with backoff (see retry): every write is one statement or one
// savepoint, undone whole when it fails.
func (s *sqlStore) write(ctx context.Context, sync durability, fn func(ctx context.Context, q querier) error) error {
	return s.retry(ctx, func() error {
		if s.w != nil {
			return s.w.do(ctx, sync, fn)
		}
		return fn(ctx, s.db)
	})
}
