package server

import (
	"context"
	"sync"
	"time"

	"github.com/foureyes/foureyes/internal/handler"
)

// coalescer merges evaluation requests for the same pull request that arrive within the
// window into one evaluation with fresh facts: a burst of ten check completions costs one
// evaluation. Each delivery waits for every evaluation it asked for; when the last one
// ends, done is called with the first error (nil on success).
type coalescer struct {
	window   time.Duration
	evaluate func(ctx context.Context, s handler.Subject, deliveryIDs []string) error
	done     func(deliveryID string, err error)
	release  func(deliveryID string)
	sem      chan struct{} // bounds concurrent evaluations

	mu      sync.Mutex
	waiting map[handler.Subject]*batch // batches whose timer has not fired
	pending map[string]*deliveryWait   // deliveries waiting for their batches
	running sync.WaitGroup
	ctx     context.Context
	closed  bool
}

type batch struct {
	subject    handler.Subject
	deliveries []string
	timer      *time.Timer
}

type deliveryWait struct {
	remaining int
	err       error
}

func newCoalescer(ctx context.Context, window time.Duration, concurrency int,
	evaluate func(context.Context, handler.Subject, []string) error,
	done func(string, error), release func(string)) *coalescer {
	return &coalescer{
		window: window, evaluate: evaluate, done: done, release: release,
		sem:     make(chan struct{}, concurrency),
		waiting: map[handler.Subject]*batch{},
		pending: map[string]*deliveryWait{},
		ctx:     ctx,
	}
}

// submit registers a delivery that asks for the given evaluations.
func (c *coalescer) submit(deliveryID string, subjects []handler.Subject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		go c.release(deliveryID)
		return
	}
	c.pending[deliveryID] = &deliveryWait{remaining: len(subjects)}
	for _, s := range subjects {
		b, ok := c.waiting[s]
		if !ok {
			b = &batch{subject: s}
			c.waiting[s] = b
			b.timer = time.AfterFunc(c.window, func() { c.fire(b) })
		}
		b.deliveries = append(b.deliveries, deliveryID)
	}
}

// fire runs a batch once its window has passed and an evaluation slot is free. Until the
// batch actually starts, later deliveries for the same PR still join it, so a backlog
// never queues two evaluations of one PR.
func (c *coalescer) fire(b *batch) {
	c.mu.Lock()
	if c.waiting[b.subject] != b || c.closed {
		c.mu.Unlock()
		return
	}
	c.running.Add(1)
	c.mu.Unlock()

	go func() {
		defer c.running.Done()
		select {
		case c.sem <- struct{}{}:
		case <-c.ctx.Done():
			return
		}
		defer func() { <-c.sem }()
		c.mu.Lock()
		if c.waiting[b.subject] != b || c.closed {
			c.mu.Unlock()
			return
		}
		delete(c.waiting, b.subject)
		deliveries := b.deliveries
		c.mu.Unlock()
		err := c.evaluate(c.ctx, b.subject, deliveries)
		c.finish(deliveries, err)
	}()
}

func (c *coalescer) finish(deliveries []string, err error) {
	var ended []*struct {
		id  string
		err error
	}
	c.mu.Lock()
	for _, id := range deliveries {
		w, ok := c.pending[id]
		if !ok {
			continue
		}
		if err != nil && w.err == nil {
			w.err = err
		}
		w.remaining--
		if w.remaining <= 0 {
			delete(c.pending, id)
			ended = append(ended, &struct {
				id  string
				err error
			}{id, w.err})
		}
	}
	c.mu.Unlock()
	for _, e := range ended {
		c.done(e.id, e.err)
	}
}

// close stops the timers of batches that have not started and returns their deliveries
// to the inbox, then waits for running evaluations (bounded by ctx).
func (c *coalescer) close(ctx context.Context) {
	c.mu.Lock()
	c.closed = true
	returned := map[string]bool{}
	for s, b := range c.waiting {
		b.timer.Stop()
		delete(c.waiting, s)
		for _, id := range b.deliveries {
			returned[id] = true
		}
	}
	for id := range returned {
		delete(c.pending, id)
	}
	c.mu.Unlock()
	for id := range returned {
		c.release(id)
	}
	waited := make(chan struct{})
	go func() { c.running.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
	}
}
