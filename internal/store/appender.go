package store

import (
	"context"
	"errors"
	"sync"
)

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("store closed")

// maxBatch bounds one group commit: large enough to amortise an fsync over many
// appenders, small enough to keep a transaction short.
const maxBatch = 1000

type appendReq struct {
	rec            Record
	factsDigest    string
	decisionDigest string
	done           chan error // buffered: the appender never waits for a caller that gave up

	// Set by appendBatch when rec.FactKey is already taken: by a stored record (existing
	// is its seq) or by an earlier request of the same batch (dupOf). Nothing is added.
	existing int64
	dupOf    *appendReq
}

// appender is the group commit: one goroutine takes every Append waiting at that moment
// and writes them in one transaction, so concurrent appenders share one durable commit
// instead of queueing for one fsync each.
type appender struct {
	reqs   chan *appendReq // unbuffered: a request is either taken by the loop or refused
	quit   chan struct{}
	wg     sync.WaitGroup
	commit func([]*appendReq) error
}

func (s *sqlStore) startAppender() {
	a := &appender{reqs: make(chan *appendReq), quit: make(chan struct{}), commit: s.commitBatch}
	a.wg.Add(1)
	go a.loop()
	s.app = a
}

func (a *appender) loop() {
	defer a.wg.Done()
	for {
		var first *appendReq
		select {
		case first = <-a.reqs:
		case <-a.quit:
			return
		}
		batch := []*appendReq{first}
	drain:
		for len(batch) < maxBatch {
			select {
			case r := <-a.reqs:
				batch = append(batch, r)
			default:
				break drain
			}
		}
		err := a.commit(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// submit hands r to the loop and waits for its commit.
func (a *appender) submit(ctx context.Context, r *appendReq) error {
	select {
	case a.reqs <- r:
	case <-a.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		// The record may still be committed; it was not acknowledged.
		return ctx.Err()
	}
}

func (a *appender) stop() {
	close(a.quit)
	a.wg.Wait()
}
