package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/foureyes/foureyes/internal/handler"
)

// DefaultCoalescerCapacity bounds how many pull requests the coalescer tracks at once
// (running, queued or waiting for a follow-up). Past it, submit blocks: the worker that
// called it stops claiming, so the backlog stays in the durable inbox, not in memory.
const DefaultCoalescerCapacity = 1024

// errCoalescerClosed is add's answer once a graceful stop has closed the coalescer: the
// delivery goes back to the inbox.
var errCoalescerClosed = errors.New("coalescer closed")

// errCoalescerFull is trySubmit's answer when a new pull request would exceed the bound.
var errCoalescerFull = errors.New("coalescer full")

// coalescer runs evaluations with a leading edge: the first request about an idle pull
// request starts its evaluation at once (no window, no timer); requests arriving while it
// runs are merged into ONE follow-up evaluation, which starts when the first ends and so
// reads fresh facts. A burst of ten check completions costs at most two evaluations, and
// nothing waits for a clock.
//
// Two lanes: interactive requests (webhooks) always start before background ones (the
// policy fan-out, the sweeper), and background work never takes the last evaluation slot,
// so an interactive evaluation never queues behind a fan-out of hundreds of PRs.
//
// The coalescer is bounded: at most capacity pull requests are tracked. submit blocks
// until there is room (back-pressure to the inbox); trySubmit refuses; room says how many
// new pull requests fit now.
//
// Each delivery waits for every evaluation it asked for; when the last one ends, done is
// called with the first error (nil on success).
type coalescer struct {
	capacity int
	slots    int // concurrent evaluations
	bgSlots  int // of which background work may use at most this many
	evaluate func(ctx context.Context, s handler.Subject, deliveryIDs []string) error
	done     func(deliveryID string, err error)
	release  func(deliveryID string)
	// hold, when set, says until when background work about a PR must not start (its
	// installation is below its rate reserve); zero: start now. A held PR that a webhook
	// then asks about is promoted and starts at once.
	hold  func(s handler.Subject) time.Time
	timer *time.Timer // wakes the background lane when the earliest hold ends

	mu        sync.Mutex
	entries   map[handler.Subject]*entry
	hi, lo    []*entry // ready to start, by lane
	running   int
	runningBG int
	pending   map[string]*deliveryWait // deliveries waiting for their evaluations
	spaceCh   chan struct{}            // closed and replaced when an entry leaves
	wg        sync.WaitGroup
	ctx       context.Context
	closed    bool
}

// entry is one pull request known to the coalescer.
type entry struct {
	subject     handler.Subject
	next        []string // deliveries for the next evaluation (not started yet)
	interactive bool     // the next evaluation was asked for by a webhook
	queued      bool     // in hi or lo
	running     bool
}

type deliveryWait struct {
	remaining int
	err       error
}

func newCoalescer(ctx context.Context, concurrency, capacity int,
	evaluate func(context.Context, handler.Subject, []string) error,
	done func(string, error), release func(string)) *coalescer {
	if concurrency < 1 {
		concurrency = 1
	}
	if capacity < 1 {
		capacity = DefaultCoalescerCapacity
	}
	return &coalescer{
		capacity: capacity, slots: concurrency, bgSlots: max(1, concurrency-1),
		evaluate: evaluate, done: done, release: release,
		entries: map[handler.Subject]*entry{},
		pending: map[string]*deliveryWait{},
		spaceCh: make(chan struct{}),
		ctx:     ctx,
	}
}

// key is the identity of a pull request, whatever lane asked.
func key(s handler.Subject) handler.Subject {
	s.Background = false
	return s
}

// room is how many more pull requests the coalescer takes now without blocking.
func (c *coalescer) room() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.capacity - len(c.entries)
}

// submit registers a delivery that asks for the given evaluations. It blocks while the
// coalescer is full (until room frees or the coalescer's context ends, when the delivery
// goes back to the inbox).
func (c *coalescer) submit(deliveryID string, subjects []handler.Subject) {
	for {
		wait, err := c.add(deliveryID, subjects)
		if err == nil {
			return
		}
		if errors.Is(err, errCoalescerClosed) {
			c.release(deliveryID) // before the handler returns: the stop waits for it
			return
		}
		select {
		case <-wait:
		case <-c.ctx.Done():
			c.release(deliveryID)
			return
		}
	}
}

// trySubmit is submit that refuses with errCoalescerFull instead of blocking.
func (c *coalescer) trySubmit(deliveryID string, subjects []handler.Subject) error {
	_, err := c.add(deliveryID, subjects)
	if errors.Is(err, errCoalescerClosed) {
		c.release(deliveryID)
		return nil
	}
	return err
}

// add registers the delivery unless it would need more new entries than there is room
// for; then it returns errCoalescerFull and a channel closed when room frees.
func (c *coalescer) add(deliveryID string, subjects []handler.Subject) (<-chan struct{}, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errCoalescerClosed
	}
	// The PRs asked for, once each, in the order asked; interactive when any request
	// for it is.
	var order []handler.Subject
	interactive := map[handler.Subject]bool{}
	fresh := 0
	for _, s := range subjects {
		k := key(s)
		if _, dup := interactive[k]; !dup {
			order = append(order, k)
			if _, ok := c.entries[k]; !ok {
				fresh++
			}
		}
		interactive[k] = interactive[k] || !s.Background
	}
	// A delivery asking for more PRs than the whole capacity is still let in when the
	// coalescer is empty, so it can never wait forever.
	if fresh > 0 && len(c.entries)+fresh > c.capacity && len(c.entries) > 0 {
		return c.spaceCh, errCoalescerFull
	}
	if len(subjects) == 0 {
		go c.done(deliveryID, nil)
		return nil, nil
	}
	c.pending[deliveryID] = &deliveryWait{remaining: len(order)}
	for _, k := range order {
		e, ok := c.entries[k]
		if !ok {
			e = &entry{subject: k}
			c.entries[k] = e
		}
		e.next = append(e.next, deliveryID)
		if interactive[k] && !e.interactive {
			e.interactive = true
			if e.queued { // promote: it was waiting in the background lane
				c.lo = removeEntry(c.lo, e)
				c.hi = append(c.hi, e)
			}
		}
		if !e.running && !e.queued {
			c.enqueue(e)
		}
	}
	c.startLocked()
	return nil, nil
}

func removeEntry(q []*entry, e *entry) []*entry {
	for i, x := range q {
		if x == e {
			return append(q[:i], q[i+1:]...)
		}
	}
	return q
}

func (c *coalescer) enqueue(e *entry) {
	e.queued = true
	if e.interactive {
		c.hi = append(c.hi, e)
	} else {
		c.lo = append(c.lo, e)
	}
}

// startLocked starts queued evaluations while slots are free: interactive first;
// background only below its share of the slots.
func (c *coalescer) startLocked() {
	for c.running < c.slots && !c.closed {
		var e *entry
		switch {
		case len(c.hi) > 0:
			e, c.hi = c.hi[0], c.hi[1:]
		case len(c.lo) > 0 && c.runningBG < c.bgSlots:
			if e = c.nextBackground(); e == nil {
				return
			}
		default:
			return
		}
		e.queued, e.running = false, true
		bg := !e.interactive
		deliveries := e.next
		e.next, e.interactive = nil, false
		c.running++
		if bg {
			c.runningBG++
		}
		c.wg.Add(1)
		subject := e.subject
		subject.Background = bg
		go c.run(e, subject, deliveries, bg)
	}
}

// nextBackground takes the first background entry not on hold; when all are, it arms a
// timer for the earliest end of a hold.
func (c *coalescer) nextBackground() *entry {
	var earliest time.Time
	for i, e := range c.lo {
		var until time.Time
		if c.hold != nil {
			until = c.hold(e.subject)
		}
		if until.IsZero() || !until.After(time.Now()) {
			c.lo = append(c.lo[:i:i], c.lo[i+1:]...)
			return e
		}
		if earliest.IsZero() || until.Before(earliest) {
			earliest = until
		}
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	c.timer = time.AfterFunc(time.Until(earliest), func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.startLocked()
	})
	return nil
}

func (c *coalescer) run(e *entry, subject handler.Subject, deliveries []string, bg bool) {
	defer c.wg.Done()
	err := c.evaluate(c.ctx, subject, deliveries)
	if c.ctx.Err() != nil && err != nil {
		// Shutting down: the evaluation did not finish; give its deliveries back.
		c.mu.Lock()
		var back []string
		for _, id := range deliveries {
			if _, ok := c.pending[id]; ok {
				delete(c.pending, id)
				back = append(back, id)
			}
		}
		c.mu.Unlock()
		for _, id := range back {
			c.release(id)
		}
	} else {
		c.finish(deliveries, err)
	}
	c.mu.Lock()
	c.running--
	if bg {
		c.runningBG--
	}
	e.running = false
	if len(e.next) > 0 && !c.closed {
		c.enqueue(e) // the follow-up: everything that arrived while this one ran
	} else if len(e.next) == 0 {
		delete(c.entries, e.subject)
		close(c.spaceCh)
		c.spaceCh = make(chan struct{})
	}
	c.startLocked()
	c.mu.Unlock()
}

func (c *coalescer) finish(deliveries []string, err error) {
	type ended struct {
		id  string
		err error
	}
	var out []ended
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
			out = append(out, ended{id, w.err})
		}
	}
	c.mu.Unlock()
	for _, e := range out {
		c.done(e.id, e.err)
	}
}

// close stops starting evaluations, returns the deliveries of those not started to the
// inbox, then waits for running evaluations (bounded by ctx).
func (c *coalescer) close(ctx context.Context) {
	c.mu.Lock()
	c.closed = true
	returned := map[string]bool{}
	for k, e := range c.entries {
		for _, id := range e.next {
			returned[id] = true
		}
		e.next = nil
		if !e.running {
			delete(c.entries, k)
		}
	}
	c.hi, c.lo = nil, nil
	if c.timer != nil {
		c.timer.Stop()
	}
	for id := range returned {
		delete(c.pending, id)
	}
	close(c.spaceCh)
	c.spaceCh = make(chan struct{})
	c.mu.Unlock()
	for id := range returned {
		c.release(id)
	}
	waited := make(chan struct{})
	go func() { c.wg.Wait(); close(waited) }()
	select {
	case <-waited:
	case <-ctx.Done():
	}
}
