package tickets

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/foureyes/foureyes/policy"
)

// Subject is one pull request whose decision depends on tickets.
type Subject struct {
	InstallationID int64
	Repo           string // owner/name
	Number         int
}

// Ref names one ticket.
type Ref struct{ System, Key string }

// Watcher defaults.
const (
	DefaultPollInterval = time.Minute      // a waited-on ticket is read at most this often
	DefaultPollEvery    = time.Second      // at most one poll request per this, over all tickets
	DefaultRetryBase    = 10 * time.Second // first re-read after an unreachable answer, doubled
	DefaultRetryMax     = 10 * time.Minute
	defaultTick         = time.Second
	maxReevalAttempts   = 5
)

// Watcher makes a pull request's check follow its tickets. After every evaluation the
// evaluator tells it which tickets the PR referenced (Observe); a webhook that says a
// ticket changed re-evaluates those PRs (Changed); and tickets that a pending or failing
// PR waits on are polled at a bounded rate, with backoff while their system is
// unreachable, and their PRs re-evaluated when the ticket changes. What it knows is kept
// in memory and, with Store, persisted (persist.go).
type Watcher struct {
	Service    *Service
	Reevaluate func(ctx context.Context, s Subject) error
	// PollInterval, PollEvery, RetryBase, RetryMax: see the defaults.
	PollInterval, PollEvery, RetryBase, RetryMax time.Duration
	Tick                                         time.Duration // how often Run looks for due tickets
	Now                                          func() time.Time
	Metrics                                      *Metrics
	Log                                          zerolog.Logger
	// Store, when set, persists the index (persist.go) so that a webhook reaching another
	// replica, or arriving after a restart, still finds the PRs, and so that Run resumes
	// polling for the PRs that waited before a restart.
	Store RefStore
	// IsOpen, when set, filters persisted PRs: a closed PR is not re-evaluated.
	IsOpen func(ctx context.Context, s Subject) bool
	// Lead, when set, says whether this replica resumes the waiting PRs at start (one
	// replica does, so they are not evaluated by every replica at once).
	Lead func(ctx context.Context) (release func(), ok bool)

	persistMu sync.Mutex

	once      sync.Once
	limiter   *rate.Limiter
	mu        sync.Mutex
	bySubject map[Subject][]Ref
	byRef     map[Ref]map[Subject]bool
	waits     map[Ref]*wait
	queue     map[Subject]int // subjects to re-evaluate -> attempts so far
	wake      chan struct{}
	changed   map[Ref]*change // recent webhooks, for evaluations that read the ticket before them
}

// change is a recent webhook about a ticket. An evaluation that read the ticket before
// the webhook but is Observed after it (the webhook found no PR to re-evaluate yet) would
// otherwise leave its PR on a decision from the old ticket until the next poll.
type change struct {
	at       time.Time
	requeued map[Subject]bool // re-evaluated for this change already: at most once each
}

// changeMemory is how long a webhook is remembered for evaluations still running.
const changeMemory = 10 * time.Minute

// wait is a polled ticket.
type wait struct {
	next     time.Time
	failures int
	last     policy.TicketSnapshot
	subjects map[Subject]bool
}

func (w *Watcher) init() {
	w.once.Do(func() {
		def := func(d *time.Duration, v time.Duration) {
			if *d <= 0 {
				*d = v
			}
		}
		def(&w.PollInterval, DefaultPollInterval)
		def(&w.PollEvery, DefaultPollEvery)
		def(&w.RetryBase, DefaultRetryBase)
		def(&w.RetryMax, DefaultRetryMax)
		def(&w.Tick, defaultTick)
		if w.Now == nil {
			w.Now = time.Now
		}
		w.limiter = rate.NewLimiter(rate.Every(w.PollEvery), 1)
		w.bySubject, w.byRef, w.waits = map[Subject][]Ref{}, map[Ref]map[Subject]bool{}, map[Ref]*wait{}
		w.queue, w.wake = map[Subject]int{}, make(chan struct{}, 1)
		w.changed = map[Ref]*change{}
	})
}

// Observe records the tickets an evaluation of s read. waiting says the decision is not
// a pass, so its tickets are polled until it is; a pass stops the polling.
func (w *Watcher) Observe(s Subject, snaps map[string]policy.TicketSnapshot, waiting bool) {
	w.init()
	refs := w.observe(s, snaps, waiting)
	w.persist(s, refs, waiting)
	if w.readBeforeChange(s, snaps) {
		w.signal()
	}
}

// readBeforeChange queues s again when one of its snapshots may have been read before a
// webhook said the ticket changed (ReadAt has whole seconds: a read in the webhook's
// second counts as before it). Each change re-evaluates a PR at most once this way, and
// the cached ticket is dropped so that evaluation reads it fresh.
func (w *Watcher) readBeforeChange(s Subject, snaps map[string]policy.TicketSnapshot) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	queued := false
	for _, snap := range snaps {
		r := Ref{System: snap.System, Key: snap.Key}
		c := w.changed[r]
		if c == nil || c.requeued[s] {
			continue
		}
		readAt, err := time.Parse(time.RFC3339, snap.ReadAt)
		if err == nil && readAt.After(c.at) {
			continue // read after the change: the snapshot already shows it
		}
		c.requeued[s] = true
		w.Service.Forget(r.System, r.Key)
		w.enqueueLocked(s)
		queued = true
	}
	return queued
}

// observe updates the in-memory index and returns s's refs.
func (w *Watcher) observe(s Subject, snaps map[string]policy.TicketSnapshot, waiting bool) []Ref {
	now := w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.bySubject[s] {
		delete(w.byRef[r], s)
		if len(w.byRef[r]) == 0 {
			delete(w.byRef, r)
		}
		if wt := w.waits[r]; wt != nil {
			delete(wt.subjects, s)
			if len(wt.subjects) == 0 {
				delete(w.waits, r)
			}
		}
	}
	delete(w.bySubject, s)
	if len(snaps) == 0 {
		return nil
	}
	refs := make([]Ref, 0, len(snaps))
	for _, snap := range snaps {
		r := Ref{System: snap.System, Key: snap.Key}
		refs = append(refs, r)
		if w.byRef[r] == nil {
			w.byRef[r] = map[Subject]bool{}
		}
		w.byRef[r][s] = true
		if !waiting {
			continue
		}
		wt := w.waits[r]
		if wt == nil {
			wt = &wait{subjects: map[Subject]bool{}, next: now.Add(w.PollInterval)}
			w.waits[r] = wt
		}
		wt.subjects[s] = true
		wt.last = snap
		if snap.Read == policy.TicketReadUnreachable && wt.failures == 0 {
			wt.failures = 1
			wt.next = now.Add(w.RetryBase)
		}
	}
	w.bySubject[s] = refs
	return refs
}

// Changed is what a webhook calls: the cached ticket is dropped and every PR that
// referenced it is re-evaluated.
func (w *Watcher) Changed(system, key string) {
	w.init()
	w.Service.Forget(system, key)
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	stored := w.open(ctx, w.persisted(ctx, refKey(Ref{System: system, Key: key})))
	now := w.Now()
	w.mu.Lock()
	for r, c := range w.changed {
		if now.Sub(c.at) > changeMemory {
			delete(w.changed, r)
		}
	}
	// Every PR known to reference it is re-evaluated now; those seen here are marked so
	// that an Observe of their older evaluation does not queue them a second time.
	c := &change{at: now, requeued: map[Subject]bool{}}
	w.changed[Ref{System: system, Key: key}] = c
	for s := range w.byRef[Ref{System: system, Key: key}] {
		c.requeued[s] = true
		w.enqueueLocked(s)
	}
	for _, s := range stored {
		w.enqueueLocked(s)
	}
	w.mu.Unlock()
	w.signal()
}

// open keeps the subjects IsOpen accepts.
func (w *Watcher) open(ctx context.Context, subs []Subject) []Subject {
	if w.IsOpen == nil {
		return subs
	}
	return slices.DeleteFunc(subs, func(s Subject) bool { return !w.IsOpen(ctx, s) })
}

// Resume re-evaluates the PRs that were waiting on a ticket when the index was last
// written (before a restart): their evaluation puts their tickets back on the poll list.
func (w *Watcher) Resume(ctx context.Context) int {
	w.init()
	subs := w.open(ctx, w.persisted(ctx, waitingKey))
	w.mu.Lock()
	for _, s := range subs {
		w.enqueueLocked(s)
	}
	w.mu.Unlock()
	w.signal()
	return len(subs)
}

func (w *Watcher) enqueueLocked(s Subject) {
	if _, ok := w.queue[s]; !ok {
		w.queue[s] = 0
	}
}

func (w *Watcher) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Waiting lists the polled tickets, sorted (for tests and logs).
func (w *Watcher) Waiting() []Ref {
	w.init()
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Ref, 0, len(w.waits))
	for r := range w.waits {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].System+out[i].Key < out[j].System+out[j].Key })
	return out
}

// PollOnce reads every due ticket (at most one request per PollEvery) and queues the
// PRs of those that changed. It returns how many tickets it read.
func (w *Watcher) PollOnce(ctx context.Context) int {
	w.init()
	now := w.Now()
	w.mu.Lock()
	var due []Ref
	for r, wt := range w.waits {
		if !wt.next.After(now) {
			due = append(due, r)
		}
	}
	w.mu.Unlock()
	sort.Slice(due, func(i, j int) bool { return due[i].System+due[i].Key < due[j].System+due[j].Key })
	n := 0
	for _, r := range due {
		if err := w.limiter.Wait(ctx); err != nil {
			return n
		}
		snap := w.Service.Fresh(ctx, r.System, r.Key)
		n++
		w.polled(r, snap)
	}
	if n > 0 {
		w.signal()
	}
	return n
}

func (w *Watcher) polled(r Ref, snap policy.TicketSnapshot) {
	now := w.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	wt := w.waits[r]
	if wt == nil {
		return // the PR passed or moved on meanwhile
	}
	changed := snap.Read != wt.last.Read || snap.Digest != wt.last.Digest
	if snap.Read == policy.TicketReadUnreachable {
		wt.failures++
		wt.next = now.Add(backoff(w.RetryBase, w.RetryMax, wt.failures))
		w.Metrics.poll(r.System, "unreachable")
		changed = false // nothing new to decide on: the PR is pending already
	} else {
		wt.failures = 0
		wt.next = now.Add(w.PollInterval)
		if changed {
			w.Metrics.poll(r.System, "changed")
		} else {
			w.Metrics.poll(r.System, "unchanged")
		}
	}
	wt.last = snap
	if changed {
		for s := range wt.subjects {
			w.enqueueLocked(s)
		}
	}
}

// backoff is base doubled per failure after the first, at most max.
func backoff(base, max time.Duration, failures int) time.Duration {
	d := base
	for i := 1; i < failures && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// Flush re-evaluates every queued PR now, one at a time. A failed re-evaluation is
// queued again, up to a few attempts.
func (w *Watcher) Flush(ctx context.Context) {
	w.init()
	for {
		w.mu.Lock()
		var s Subject
		attempts, found := 0, false
		for k, a := range w.queue {
			s, attempts, found = k, a, true
			break
		}
		if found {
			delete(w.queue, s)
		}
		w.mu.Unlock()
		if !found || ctx.Err() != nil {
			return
		}
		if err := w.Reevaluate(ctx, s); err != nil {
			w.Log.Warn().Err(err).Str("repo", s.Repo).Int("pr", s.Number).Int("attempt", attempts+1).Msg("re-evaluation after a ticket change failed")
			if attempts+1 < maxReevalAttempts {
				time.AfterFunc(backoff(w.RetryBase, w.RetryMax, attempts+1), func() {
					w.mu.Lock()
					if _, ok := w.queue[s]; !ok {
						w.queue[s] = attempts + 1
					}
					w.mu.Unlock()
					w.signal()
				})
			}
		}
	}
}

// Run polls and re-evaluates until ctx ends.
func (w *Watcher) Run(ctx context.Context) {
	w.init()
	if w.Lead == nil {
		w.Resume(ctx)
	} else if release, ok := w.Lead(ctx); ok {
		w.Resume(ctx)
		w.Flush(ctx)
		release()
	}
	t := time.NewTicker(w.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-w.wake:
		case <-t.C:
			w.PollOnce(ctx)
		}
		w.Flush(ctx)
	}
}
