package recovery

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// Checkpoint keys the reconciler keeps in the store.
const (
	// CheckpointRedeliverySince holds the delivered_at (RFC 3339) of the newest attempt seen
	// by the last run that covered its whole window; the next run pages back to it.
	CheckpointRedeliverySince = "redelivery:since"
	// CheckpointRedeliveredPrefix + GUID marks a GUID whose redelivery GitHub accepted (or
	// refused for good). It makes the redelivery once-only across runs, replicas and restarts.
	CheckpointRedeliveredPrefix = "redelivered:"
)

// Reconciler defaults.
const (
	DefaultWindow       = 72 * time.Hour // GitHub keeps deliveries for three days
	DefaultOverlap      = 10 * time.Minute
	DefaultMaxPerRun    = 50
	DefaultPerPage      = 100
	DefaultMaxPages     = 100
	DefaultWriteSpacing = time.Second // GitHub: wait at least 1 s between mutating requests
)

// DeliveryStore is what the reconciler needs of the store: the inbox, to skip events that
// did arrive (a slow 2xx that GitHub counted as a timeout), and checkpoints. store.Store
// satisfies it.
type DeliveryStore interface {
	GetDelivery(ctx context.Context, id string) (store.Delivery, error)
	store.Checkpoints
}

// Reconciler asks GitHub to redeliver the webhooks it failed to deliver.
//
// Rule, once-only: a GUID is redelivered at most once, ever. After GitHub accepts the
// redelivery the GUID is marked in the store ("redelivered:<guid>") and later runs skip it,
// even if that redelivery failed too (a server that fails the same event twice needs a human,
// not a loop; the log and the failed counter show it). The mark is written after GitHub
// accepted, so a crash between the two may cause one extra redelivery, which the inbox drops
// as a duplicate GUID once one of them was processed.
type Reconciler struct {
	App   *github.Client // authenticated as the App (JWT): ClientCreator.NewAppClient()
	Store DeliveryStore

	MaxPerRun    int           // redeliveries per run; default DefaultMaxPerRun
	Window       time.Duration // how far back to page; default and maximum DefaultWindow
	Overlap      time.Duration // re-read before the checkpoint, for late-listed attempts; default DefaultOverlap
	PerPage      int           // default DefaultPerPage (GitHub's maximum)
	MaxPages     int           // pages per run; default DefaultMaxPages
	MinRemaining int           // stop when the App's rate limit falls below; default 100
	WriteSpacing time.Duration // pause between redelivery requests; default DefaultWriteSpacing

	Now     func() time.Time                                 // default time.Now
	Sleep   func(ctx context.Context, d time.Duration) error // default waits d; tests inject a no-op
	Metrics *Metrics
	Log     zerolog.Logger
}

// ReconcileResult says what one run found and did.
type ReconcileResult struct {
	Seen             int      // attempts paged inside the window
	Events           int      // distinct GUIDs among them
	Failed           []string // GUIDs with no successful attempt
	InInbox          []string // failed GUIDs that the inbox holds anyway: not redelivered
	AlreadyRequested []string // failed GUIDs redelivered by an earlier run: not again
	Redelivered      []string // GUIDs GitHub accepted a redelivery for in this run
	Refused          []string // GUIDs GitHub refused for good (e.g. too old): marked, not retried
	Errors           int      // redelivery requests that failed and will be retried next run
	// Truncated is empty when the run covered its whole window; otherwise it says why it
	// stopped early (max per run, page limit, rate limit). The checkpoint then stays where it
	// was so the next run sees the rest.
	Truncated string
	Since     time.Time // the oldest delivered_at the run looked at
}

func (r *Reconciler) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Reconciler) sleep(ctx context.Context, d time.Duration) error {
	if r.Sleep != nil {
		return r.Sleep(ctx, d)
	}
	return sleepCtx(ctx, d)
}

func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// RunOnce pages the App's deliveries back to the checkpoint (never past the window), and
// requests one redelivery for each GUID that was never delivered and is not in the inbox.
// It returns an error only when it cannot read GitHub or the store; a rate limit ends the run
// early without error (Result.Truncated says so).
func (r *Reconciler) RunOnce(ctx context.Context) (ReconcileResult, error) {
	var res ReconcileResult
	if r.App == nil || r.Store == nil {
		return res, errors.New("recovery: reconciler needs an app client and a store")
	}
	window := min(orDefault(r.Window, DefaultWindow), DefaultWindow)
	res.Since = r.now().Add(-window)
	cp, err := r.Store.GetCheckpoint(ctx, CheckpointRedeliverySince)
	if err != nil {
		return res, fmt.Errorf("read checkpoint %s: %w", CheckpointRedeliverySince, err)
	}
	if cp != "" {
		t, perr := time.Parse(time.RFC3339Nano, cp)
		if perr != nil {
			r.Log.Warn().Str("checkpoint", cp).Err(perr).Msg("redelivery checkpoint unreadable; paging the whole window")
		} else if from := t.Add(-orDefault(r.Overlap, DefaultOverlap)); from.After(res.Since) {
			res.Since = from
		}
	}

	attempts, newest, lastResp, complete, err := r.page(ctx, res.Since, &res)
	if err != nil {
		return res, err
	}
	res.Seen = len(attempts)
	r.Metrics.add(func(m *Metrics) Counter { return m.DeliveriesSeen }, res.Seen)

	events := groupByGUID(attempts)
	res.Events = len(events)
	if err := r.redeliver(ctx, events, lastResp, &res); err != nil {
		return res, err
	}

	if complete && res.Truncated == "" && !newest.IsZero() {
		if err := r.Store.SetCheckpoint(ctx, CheckpointRedeliverySince, newest.UTC().Format(time.RFC3339Nano)); err != nil {
			return res, fmt.Errorf("write checkpoint %s: %w", CheckpointRedeliverySince, err)
		}
	}
	r.Log.Info().Int("seen", res.Seen).Int("events", res.Events).Int("failed", len(res.Failed)).
		Strs("redelivered", res.Redelivered).Strs("refused", res.Refused).Int("errors", res.Errors).
		Str("truncated", res.Truncated).Time("since", res.Since).Msg("redelivery reconcile done")
	return res, nil
}

// page reads attempts newest first until one is older than since, GitHub has no next page,
// or a bound is hit. complete is false when it stopped for a bound.
func (r *Reconciler) page(ctx context.Context, since time.Time, res *ReconcileResult) (attempts []*github.HookDelivery, newest time.Time, last *github.Response, complete bool, err error) {
	opts := &github.ListCursorOptions{PerPage: min(orDefault(r.PerPage, DefaultPerPage), 100)}
	minRemaining := orDefault(r.MinRemaining, defaultMinRemaining)
	for pages := 1; ; pages++ {
		ds, resp, lerr := r.App.Apps.ListHookDeliveries(ctx, opts)
		if lerr != nil {
			if rateLimited(lerr) {
				res.Truncated = "rate limit while listing deliveries"
				r.Log.Warn().Err(lerr).Msg("redelivery reconcile stopped by the rate limit")
				return attempts, newest, resp, false, nil
			}
			return attempts, newest, resp, false, fmt.Errorf("list hook deliveries (cursor %q): %w", opts.Cursor, lerr)
		}
		last = resp
		for _, d := range ds {
			at := d.GetDeliveredAt().Time
			if at.Before(since) {
				return attempts, newest, last, true, nil
			}
			attempts = append(attempts, d)
			if at.After(newest) {
				newest = at
			}
		}
		if resp.Cursor == "" || len(ds) == 0 {
			return attempts, newest, last, true, nil
		}
		if pages >= orDefault(r.MaxPages, DefaultMaxPages) {
			res.Truncated = "page limit"
			return attempts, newest, last, false, nil
		}
		if lowBudget(resp, minRemaining) {
			res.Truncated = "rate budget low while listing deliveries"
			return attempts, newest, last, false, nil
		}
		opts.Cursor = resp.Cursor
	}
}

// redeliver requests one redelivery per lost event, oldest first, within the run's bounds.
func (r *Reconciler) redeliver(ctx context.Context, events []guidAttempts, lastResp *github.Response, res *ReconcileResult) error {
	maxPerRun := orDefault(r.MaxPerRun, DefaultMaxPerRun)
	minRemaining := orDefault(r.MinRemaining, defaultMinRemaining)
	requested := 0
	stopped := false // a bound or the rate limit ended requesting; the rest is only counted
	stop := func(why string) {
		stopped = true
		if res.Truncated == "" {
			res.Truncated = why
		}
	}
	for _, ev := range events {
		if ev.OK {
			continue
		}
		res.Failed = append(res.Failed, ev.GUID)
		log := r.Log.With().Str("delivery_id", ev.GUID).Int64("hook_delivery_id", ev.Latest.GetID()).
			Str("event", ev.Latest.GetEvent()).Str("action", ev.Latest.GetAction()).
			Str("status", ev.Latest.GetStatus()).Int("attempts", ev.Attempts).Logger()

		key := CheckpointRedeliveredPrefix + ev.GUID
		mark, err := r.Store.GetCheckpoint(ctx, key)
		if err != nil {
			return fmt.Errorf("read checkpoint %s: %w", key, err)
		}
		if mark != "" {
			res.AlreadyRequested = append(res.AlreadyRequested, ev.GUID)
			log.Debug().Str("mark", mark).Msg("delivery already redelivered once; not again")
			continue
		}
		if _, err := r.Store.GetDelivery(ctx, ev.GUID); err == nil {
			res.InInbox = append(res.InInbox, ev.GUID)
			log.Info().Msg("delivery failed on GitHub's side but is in the inbox; not redelivering")
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look up delivery %s in the inbox: %w", ev.GUID, err)
		}
		r.Metrics.add(func(m *Metrics) Counter { return m.DeliveriesFailed }, 1)

		if stopped {
			continue // count what is left, request nothing more
		}
		if requested >= maxPerRun {
			stop("max redeliveries per run")
			continue
		}
		if lowBudget(lastResp, minRemaining) {
			stop("rate budget low")
			continue
		}
		if requested > 0 {
			if err := r.sleep(ctx, orDefault(r.WriteSpacing, DefaultWriteSpacing)); err != nil {
				return err
			}
		}
		requested++
		_, resp, err := r.App.Apps.RedeliverHookDelivery(ctx, ev.Latest.GetID())
		if resp != nil {
			lastResp = resp
		}
		switch {
		case err == nil || accepted(err):
			res.Redelivered = append(res.Redelivered, ev.GUID)
			r.Metrics.add(func(m *Metrics) Counter { return m.Redelivered }, 1)
			if err := r.mark(ctx, key, "requested", ev); err != nil {
				return err
			}
			log.Info().Msg("lost webhook redelivered")
		case rateLimited(err):
			stop("rate limit while redelivering")
			res.Errors++
			log.Warn().Err(err).Msg("redelivery refused by the rate limit; next run retries")
		case permanent(resp, err):
			res.Refused = append(res.Refused, ev.GUID)
			if err := r.mark(ctx, key, fmt.Sprintf("refused %d", resp.StatusCode), ev); err != nil {
				return err
			}
			log.Error().Err(err).Msg("GitHub refused the redelivery; giving up on this delivery")
		default:
			res.Errors++
			log.Error().Err(err).Msg("redelivery request failed; next run retries")
		}
	}
	return nil
}

// mark records that the GUID was dealt with, so no later run requests it again.
func (r *Reconciler) mark(ctx context.Context, key, what string, ev guidAttempts) error {
	v := fmt.Sprintf("%s at=%s hook_delivery_id=%d", what, r.now().UTC().Format(time.RFC3339), ev.Latest.GetID())
	if err := r.Store.SetCheckpoint(ctx, key, v); err != nil {
		return fmt.Errorf("write checkpoint %s: %w", key, err)
	}
	return nil
}
