package facts

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
)

// answer builds the HTTP response an error carries.
func answer(status int, headers map[string]string) *http.Response {
	h := http.Header{}
	for k, v := range headers {
		h.Set(k, v)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://example.test/api/v3/repos/o/r/pulls/1/reviews", nil)
	return &http.Response{StatusCode: status, Header: h, Request: req}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

func TestIsTransientAndRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	reset := strconv.FormatInt(now.Add(90*time.Second).Unix(), 10)
	wrap := func(err error) error { return fmt.Errorf("list reviews of o/r#1: %w", err) }
	thirty := 30 * time.Second

	tests := []struct {
		name      string
		err       error
		transient bool
		wait      time.Duration
		hasWait   bool
	}{
		{"nil", nil, false, 0, false},
		{"404", wrap(&github.ErrorResponse{Response: answer(404, nil)}), false, 0, false},
		{"422", wrap(&github.ErrorResponse{Response: answer(422, nil)}), false, 0, false},
		{"401", wrap(&github.ErrorResponse{Response: answer(401, nil)}), false, 0, false},
		{"403 permission", wrap(&github.ErrorResponse{Response: answer(403, map[string]string{"X-Ratelimit-Remaining": "4000", "X-Ratelimit-Reset": reset})}), false, 0, false},
		{"500", wrap(&github.ErrorResponse{Response: answer(500, map[string]string{"X-Ratelimit-Remaining": "4000", "X-Ratelimit-Reset": reset})}), true, 0, false},
		{"502 with Retry-After", wrap(&github.ErrorResponse{Response: answer(502, map[string]string{"Retry-After": "5"})}), true, 5 * time.Second, true},
		{"429 Retry-After seconds", wrap(&github.ErrorResponse{Response: answer(429, map[string]string{"Retry-After": "30"})}), true, 30 * time.Second, true},
		{"429 Retry-After date", wrap(&github.ErrorResponse{Response: answer(429, map[string]string{"Retry-After": now.Add(time.Minute).Format(http.TimeFormat)})}), true, time.Minute, true},
		{"429 remaining 0 uses reset", wrap(&github.ErrorResponse{Response: answer(429, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset})}), true, 90 * time.Second, true},
		{"403 Retry-After", wrap(&github.ErrorResponse{Response: answer(403, map[string]string{"Retry-After": "60"})}), true, time.Minute, true},
		{"primary rate limit", wrap(&github.RateLimitError{Response: answer(403, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": reset})}), true, 90 * time.Second, true},
		{"primary rate limit, past reset", wrap(&github.RateLimitError{Response: answer(403, map[string]string{"X-Ratelimit-Remaining": "0", "X-Ratelimit-Reset": "1000"})}), true, 0, true},
		{"go-github guard (no headers)", wrap(&github.RateLimitError{Response: answer(403, nil), Rate: github.Rate{Reset: github.Timestamp{Time: now.Add(2 * time.Minute)}}}), true, 2 * time.Minute, true},
		{"secondary rate limit", wrap(&github.AbuseRateLimitError{Response: answer(403, nil), RetryAfter: &thirty}), true, 30 * time.Second, true},
		{"secondary rate limit, header", wrap(&github.AbuseRateLimitError{Response: answer(403, map[string]string{"Retry-After": "7"})}), true, 7 * time.Second, true},
		{"secondary rate limit, no hint", wrap(&github.AbuseRateLimitError{Response: answer(403, nil)}), true, 0, false},
		{"net timeout", wrap(&url.Error{Op: "Get", URL: "http://x", Err: timeoutErr{}}), true, 0, false},
		{"deadline", wrap(context.DeadlineExceeded), true, 0, false},
		{"canceled", wrap(context.Canceled), false, 0, false},
		{"plain", errors.New("team \"x\" is not org/slug"), false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsTransient(tt.err); got != tt.transient {
				t.Errorf("IsTransient = %v, want %v", got, tt.transient)
			}
			wait, ok := retryAfter(tt.err, now)
			if ok != tt.hasWait || wait != tt.wait {
				t.Errorf("retryAfter = %v, %v; want %v, %v", wait, ok, tt.wait, tt.hasWait)
			}
		})
	}
}
