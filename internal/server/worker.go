package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/internal/handler"
	"github.com/foureyes/foureyes/internal/inbox"
	"github.com/foureyes/foureyes/internal/metrics"
	"github.com/foureyes/foureyes/internal/store"
)

// workers take deliveries from the inbox, run their handler, and settle them: done,
// retried later with backoff, or failed for good after the retry limit.
type workers struct {
	store     store.Store
	handlers  map[string]githubapp.EventHandler
	coalescer *coalescer
	metrics   *metrics.Metrics
	logger    zerolog.Logger
	retry     config.Retry
	n         int
	wakeCh    chan struct{}
	now       func() time.Time
	// leases bounds what this replica holds (claimed, running or waiting in the
	// coalescer) and renews their leases while they are held (inbox.lease).
	leases *inbox.Leases
	// draining is closed when a graceful stop begins: nothing more is claimed, so a
	// delivery the stop gave back to the inbox is not taken again by this replica while
	// the running evaluations finish.
	drainOnce sync.Once
	draining  chan struct{} // made with the workers (app.go)
}

// drain stops claiming; run returns once its context ends and its handlers are done.
func (w *workers) drain() { w.drainOnce.Do(func() { close(w.draining) }) }

func (w *workers) wake() {
	select {
	case w.wakeCh <- struct{}{}:
	default:
	}
}

// run claims and processes deliveries until ctx ends.
func (w *workers) run(ctx context.Context) {
	slots := make(chan struct{}, w.n)
	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBeat() // after wg.Wait: leases are renewed until the last handler ends
	go w.leases.Run(beat)
	var wg sync.WaitGroup
	defer wg.Wait()
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	for {
		// Back-pressure: with max_in_flight deliveries held (most waiting in the
		// coalescer), nothing more is claimed; the rest wait in the inbox, on disk.
		free := min(w.n-len(slots), w.leases.Room())
		select {
		case <-w.draining:
			free = 0 // stopping: claim nothing more
		default:
		}
		if free > 0 {
			ds, err := w.store.Claim(ctx, free, w.leases.Lease())
			if err != nil && ctx.Err() == nil {
				w.logger.Error().Err(err).Msg("claim deliveries from the inbox")
			}
			for _, d := range ds {
				w.leases.Hold(d.ID)
			}
			for _, d := range ds {
				slots <- struct{}{}
				wg.Add(1)
				go func(d store.Delivery) {
					defer wg.Done()
					defer func() { <-slots }()
					w.process(ctx, d)
				}(d)
			}
			if len(ds) == free {
				continue // there may be more
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-w.draining:
			<-ctx.Done()
			return
		case <-w.wakeCh:
		case <-w.leases.Freed():
		case <-poll.C:
			// The gauge is refreshed on the poll's beat, not each time a slot frees:
			// Depth counts the whole backlog, so once per delivery it cost as much as
			// the claim itself with 100,000 deliveries waiting.
			if depth, err := w.store.Depth(ctx); err == nil {
				w.metrics.InboxDepth.Set(float64(depth))
			}
		}
	}
}

func (w *workers) process(ctx context.Context, d store.Delivery) {
	logger := w.logger.With().Str(githubapp.LogKeyEventType, d.Event).Str(githubapp.LogKeyDeliveryID, d.ID).Logger()
	ctx = logger.WithContext(ctx)
	h, ok := w.handlers[d.Event]
	if !ok {
		w.settle(ctx, d, nil)
		return
	}
	ctx, work := handler.WithWork(ctx)
	err := runHandler(ctx, h, d)
	if err != nil {
		if ctx.Err() != nil { // shutting down: give it back untouched
			w.releaseByID(d.ID)
			return
		}
		w.settle(ctx, d, err)
		return
	}
	if subjects := work.Subjects(); len(subjects) > 0 {
		w.coalescer.submit(d.ID, subjects)
		return
	}
	w.settle(ctx, d, nil)
}

// runHandler turns a handler panic into an error, so one bad payload cannot stop a worker.
func runHandler(ctx context.Context, h githubapp.EventHandler, d store.Delivery) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("handler panic: %v", r)
		}
	}()
	return h.Handle(ctx, d.Event, d.ID, d.Body)
}

// settleByID is the coalescer's completion callback.
func (w *workers) settleByID(id string, err error) {
	ctx := context.Background()
	defer w.leases.Drop(id) // also when it cannot be read: its lease then expires
	d, gerr := w.store.GetDelivery(ctx, id)
	if gerr != nil {
		w.logger.Error().Err(gerr).Str(githubapp.LogKeyDeliveryID, id).Msg("settle delivery")
		return
	}
	w.settle(w.logger.With().Str(githubapp.LogKeyEventType, d.Event).Str(githubapp.LogKeyDeliveryID, id).Logger().WithContext(ctx), d, err)
}

func (w *workers) releaseByID(id string) {
	defer w.leases.Drop(id)
	if err := w.store.Release(context.Background(), id); err != nil {
		w.logger.Error().Err(err).Str(githubapp.LogKeyDeliveryID, id).Msg("return delivery to the inbox")
	}
}

func (w *workers) settle(ctx context.Context, d store.Delivery, err error) {
	logger := zerolog.Ctx(ctx)
	bg := context.WithoutCancel(ctx)
	// Dropped once settled: until then the heartbeat keeps the lease, so no other
	// replica starts the same work while this one writes its outcome.
	defer w.leases.Drop(d.ID)
	switch {
	case err == nil:
		if serr := w.store.Complete(bg, d.ID); serr != nil {
			logger.Error().Err(serr).Msg("mark delivery done")
		}
		w.metrics.Deliveries.WithLabelValues(d.Event, "processed").Inc()
	case isTransient(err) && d.Attempts+1 < w.retry.MaxAttempts:
		delay := backoff(d.Attempts, w.retry, err)
		logger.Warn().Err(err).Int("attempt", d.Attempts+1).Dur("retry_in", delay).Msg("transient failure; delivery will be retried")
		if serr := w.store.Retry(bg, d.ID, w.now().Add(delay), err.Error()); serr != nil {
			logger.Error().Err(serr).Msg("schedule delivery retry")
		}
		w.metrics.Deliveries.WithLabelValues(d.Event, "retried").Inc()
	default:
		logger.Error().Err(err).Int("attempt", d.Attempts+1).Msg("delivery failed")
		if serr := w.store.Fail(bg, d.ID, err.Error()); serr != nil {
			logger.Error().Err(serr).Msg("mark delivery failed")
		}
		w.metrics.Deliveries.WithLabelValues(d.Event, "failed").Inc()
	}
}

// isTransient says whether a failed delivery may succeed later: a GitHub or network
// error (facts.IsTransient) or a store that is down, failing over, or deadlocked
// (store.IsTransient). A recorded push must not be lost because PostgreSQL restarted.
func isTransient(err error) bool {
	return facts.IsTransient(err) || store.IsTransient(err) || tokenRefreshTransient(err)
}

// tokenRefreshTransient: GitHub answering 5xx or 429 to the installation token request
// fails the request before go-github sees an answer (ghinstallation's HTTPError).
func tokenRefreshTransient(err error) bool {
	var he *ghinstallation.HTTPError
	if !errors.As(err, &he) || he.Response == nil {
		return false
	}
	return he.Response.StatusCode >= 500 || he.Response.StatusCode == http.StatusTooManyRequests
}

// backoff doubles the delay per attempt, capped, and honours what GitHub asked for
// (Retry-After, x-ratelimit-reset) when that is longer.
func backoff(attempts int, r config.Retry, err error) time.Duration {
	d := r.BaseDelay.D()
	for i := 0; i < attempts && d < r.MaxDelay.D(); i++ {
		d *= 2
	}
	if d > r.MaxDelay.D() {
		d = r.MaxDelay.D()
	}
	if ra, ok := facts.RetryAfter(err); ok && ra > d {
		d = ra
	}
	return d
}
