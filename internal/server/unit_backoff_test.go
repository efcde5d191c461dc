package server

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/config"
)

func TestBackoffUnit(t *testing.T) {
	r := config.Retry{MaxAttempts: 8, BaseDelay: config.Duration(time.Second), MaxDelay: config.Duration(time.Minute)}
	resp := func(status int, hdr map[string]string) *http.Response {
		h := http.Header{}
		for k, v := range hdr {
			h.Set(k, v)
		}
		return &http.Response{StatusCode: status, Header: h, Request: &http.Request{Method: "GET"}}
	}
	dur := func(d time.Duration) *time.Duration { return &d }
	tests := []struct {
		name     string
		attempts int
		retry    config.Retry
		err      error
		want     time.Duration
	}{
		{name: "first attempt is the base", attempts: 0, err: errors.New("boom"), want: time.Second},
		{name: "second doubles", attempts: 1, err: errors.New("boom"), want: 2 * time.Second},
		{name: "third doubles again", attempts: 2, err: errors.New("boom"), want: 4 * time.Second},
		{name: "sixth", attempts: 5, want: 32 * time.Second},
		{name: "capped", attempts: 6, want: time.Minute},
		{name: "capped far out", attempts: 1000, want: time.Minute},
		{name: "huge attempts with huge max does not overflow", attempts: 1 << 30,
			retry: config.Retry{BaseDelay: config.Duration(time.Second), MaxDelay: config.Duration(1<<62 + 1)}, want: 1<<62 + 1},
		{name: "base above max is capped", attempts: 0,
			retry: config.Retry{BaseDelay: config.Duration(time.Hour), MaxDelay: config.Duration(time.Minute)}, want: time.Minute},
		{name: "nil error", attempts: 3, err: nil, want: 8 * time.Second},
		{name: "abuse retry-after longer", attempts: 0,
			err: &github.AbuseRateLimitError{Response: resp(403, nil), RetryAfter: dur(90 * time.Second)}, want: 90 * time.Second},
		{name: "abuse retry-after shorter keeps backoff", attempts: 3,
			err: &github.AbuseRateLimitError{Response: resp(403, nil), RetryAfter: dur(time.Second)}, want: 8 * time.Second},
		{name: "abuse retry-after beyond the cap is honoured", attempts: 10,
			err: &github.AbuseRateLimitError{Response: resp(403, nil), RetryAfter: dur(10 * time.Minute)}, want: 10 * time.Minute},
		{name: "abuse header wins", attempts: 0,
			err: &github.AbuseRateLimitError{Response: resp(403, map[string]string{"Retry-After": "120"}), RetryAfter: dur(5 * time.Second)}, want: 2 * time.Minute},
		{name: "error response retry-after", attempts: 0,
			err: &github.ErrorResponse{Response: resp(429, map[string]string{"Retry-After": "30"}), Message: "slow down"}, want: 30 * time.Second},
		{name: "wrapped error response retry-after", attempts: 0,
			err: fmt.Errorf("list reviews: %w", &github.ErrorResponse{Response: resp(503, map[string]string{"Retry-After": "45"})}), want: 45 * time.Second},
		{name: "error response without headers", attempts: 2,
			err: &github.ErrorResponse{Response: resp(502, nil)}, want: 4 * time.Second},
		{name: "rate limit reset far away", attempts: 0,
			err: &github.RateLimitError{Response: resp(403, map[string]string{"X-Ratelimit-Remaining": "0",
				"X-Ratelimit-Reset": strconv.FormatInt(time.Now().Add(20*time.Minute).Unix(), 10)})},
			want: 20 * time.Minute},
		{name: "rate limit without headers uses Rate.Reset", attempts: 0,
			err:  &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: time.Now().Add(10 * time.Minute)}}, Response: resp(403, nil)},
			want: 10 * time.Minute},
		{name: "rate limit reset in the past keeps backoff", attempts: 1,
			err:  &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: time.Now().Add(-time.Hour)}}, Response: resp(403, nil)},
			want: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := r
			if tt.retry.MaxDelay != 0 {
				rr = tt.retry
			}
			got := backoff(tt.attempts, rr, tt.err)
			// Reset-based delays are computed from time.Now inside backoff: allow the
			// seconds the test itself may take, never more.
			if got > tt.want || got < tt.want-5*time.Second || (tt.want < time.Minute && got != tt.want) {
				t.Errorf("backoff(%d) = %v, want %v", tt.attempts, got, tt.want)
			}
		})
	}
	// Monotonic and never above the cap without a server hint.
	prev := time.Duration(0)
	for a := 0; a < 64; a++ {
		d := backoff(a, r, errors.New("x"))
		if d < prev || d > r.MaxDelay.D() || d <= 0 {
			t.Fatalf("attempt %d: %v after %v", a, d, prev)
		}
		prev = d
	}
}
