package recovery

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/google/go-github/v60/github"
)

// defaultMinRemaining is the request budget a loop leaves untouched: background recovery must
// never starve the webhook path, which shares the same installation (or App) rate limit.
const defaultMinRemaining = 100

// rateLimited reports whether err says GitHub refused the request for its primary or
// secondary rate limit; the run then stops early and tries again on its next tick.
func rateLimited(err error) bool {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	return errors.As(err, &rl) || errors.As(err, &abuse)
}

// lowBudget reports whether the last answer left fewer than min requests in the current
// rate-limit window. A response without rate headers (Limit 0) is not a reason to stop.
func lowBudget(resp *github.Response, min int) bool {
	if resp == nil || resp.Rate.Limit == 0 {
		return false
	}
	return resp.Rate.Remaining < min
}

// accepted reports whether err is go-github's *AcceptedError: GitHub answers a redelivery
// request 202 Accepted, which go-github returns as an error although it is a success.
func accepted(err error) bool {
	var a *github.AcceptedError
	return errors.As(err, &a)
}

// permanent reports whether GitHub refused a request about this delivery in a way a retry
// cannot fix: it does not know the delivery (404, 410) or will not redeliver it (422, e.g.
// past the three-day window). 401 and 403 are not: they say something about our
// credentials or the rate limit, which the next run may not share.
func permanent(resp *github.Response, err error) bool {
	if err == nil || rateLimited(err) || resp == nil || resp.Response == nil {
		return false
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity:
		return true
	}
	return false
}

// sleepCtx waits d or until ctx ends. It is the default pause between mutating requests
// (GitHub asks for at least a second between them); tests inject a no-op.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
