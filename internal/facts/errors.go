package facts

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/google/go-github/v60/github"
)

// IsTransient says whether err may go away if the same request is made later: GitHub's 5xx,
// a primary (403/429 with x-ratelimit-remaining: 0) or secondary (Retry-After, 429) rate
// limit, a timeout, or a connection cut. Everything else (404, 401, 422, a cancelled
// context, a bad policy team name) will fail again and should not be retried.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) || errors.Is(err, errGraphQLRateLimited) {
		return true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return transientStatus(er.Response)
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// transientStatus classifies an error answer by status and rate-limit headers.
func transientStatus(r *http.Response) bool {
	switch {
	case r.StatusCode >= 500:
		return true
	case r.StatusCode == http.StatusTooManyRequests:
		return true
	case r.StatusCode == http.StatusForbidden:
		return r.Header.Get("X-Ratelimit-Remaining") == "0" || r.Header.Get("Retry-After") != ""
	}
	return false
}

// RetryAfter returns how long GitHub asked to wait before retrying, when err carries it:
// the Retry-After header (secondary limits), else the x-ratelimit-reset time when the
// primary limit is exhausted. The duration is never negative.
func RetryAfter(err error) (time.Duration, bool) { return retryAfter(err, time.Now()) }

func retryAfter(err error, now time.Time) (time.Duration, bool) {
	if err == nil {
		return 0, false
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if d, ok := fromHeaders(abuse.Response, now, true); ok {
			return d, true
		}
		if abuse.RetryAfter != nil {
			return clamp(*abuse.RetryAfter), true
		}
		return 0, false
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		if d, ok := fromHeaders(rl.Response, now, true); ok {
			return d, true
		}
		// go-github's own guard answers without headers; it keeps the reset time.
		if !rl.Rate.Reset.Time.IsZero() {
			return clamp(rl.Rate.Reset.Time.Sub(now)), true
		}
		return 0, false
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) {
		limited := er.Response != nil && (er.Response.StatusCode == http.StatusTooManyRequests || er.Response.StatusCode == http.StatusForbidden)
		return fromHeaders(er.Response, now, limited)
	}
	return 0, false
}

// fromHeaders reads Retry-After (seconds or an HTTP date), then, when the answer was a rate
// limit and x-ratelimit-remaining is 0, x-ratelimit-reset (epoch seconds). The reset time
// alone is on every answer, so it says nothing about a 500.
func fromHeaders(r *http.Response, now time.Time, limited bool) (time.Duration, bool) {
	if r == nil {
		return 0, false
	}
	if v := r.Header.Get("Retry-After"); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			return clamp(time.Duration(secs) * time.Second), true
		}
		if t, err := http.ParseTime(v); err == nil {
			return clamp(t.Sub(now)), true
		}
	}
	if !limited || r.Header.Get("X-Ratelimit-Remaining") != "0" {
		return 0, false
	}
	if v := r.Header.Get("X-Ratelimit-Reset"); v != "" {
		if epoch, err := strconv.ParseInt(v, 10, 64); err == nil {
			return clamp(time.Unix(epoch, 0).Sub(now)), true
		}
	}
	return 0, false
}

func clamp(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}
