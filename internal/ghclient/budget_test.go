package ghclient

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestBudgetFollowsHeadersPerInstallation(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	reset := now.Add(time.Hour)
	tests := []struct {
		name      string
		inst      int64
		headers   map[string]string
		wantLow   bool
		otherLow  bool // installation 2 is never touched
		resetSeen time.Time
	}{
		{"below the reserve until the reset", 1, map[string]string{"X-RateLimit-Remaining": "99", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}, true, false, reset},
		{"at the reserve", 1, map[string]string{"X-RateLimit-Remaining": "100", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10)}, false, false, time.Time{}},
		{"reset already passed", 1, map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": strconv.FormatInt(now.Add(-time.Second).Unix(), 10)}, false, false, time.Time{}},
		{"another resource", 1, map[string]string{"X-RateLimit-Remaining": "3", "X-RateLimit-Reset": strconv.FormatInt(reset.Unix(), 10), "X-RateLimit-Resource": "search"}, false, false, time.Time{}},
		{"no headers", 1, map[string]string{}, false, false, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBudget(100, func() time.Time { return now }, nil)
			h := http.Header{}
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			b.observe(tt.inst, h)
			low, until := b.Low(1)
			if low != tt.wantLow || !until.Equal(tt.resetSeen) {
				t.Errorf("Low(1) = %v, %v; want %v, %v", low, until, tt.wantLow, tt.resetSeen)
			}
			if low, _ := b.Low(2); low != tt.otherLow {
				t.Errorf("Low(2) = %v: one installation's budget is not another's", low)
			}
		})
	}
}

func TestBudgetWaitBackground(t *testing.T) {
	start := time.Now()
	b := NewBudget(100, time.Now, nil)
	h := http.Header{}
	h.Set("X-RateLimit-Remaining", "1")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(start.Add(time.Second).Unix(), 10))
	b.observe(7, h)
	waits := 0
	b.waited = func() { waits++ }
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.WaitBackground(ctx, 7); err == nil {
		t.Fatal("a low installation's background work did not wait")
	}
	if err := b.WaitBackground(context.Background(), 8); err != nil {
		t.Fatalf("an unknown installation waited: %v", err)
	}
	if err := b.WaitBackground(context.Background(), 7); err != nil {
		t.Fatal(err)
	}
	if waits != 2 {
		t.Errorf("%d waits counted, want 2", waits)
	}
}

func TestMiddlewareFeedsBudget(t *testing.T) {
	b := NewBudget(10, nil, nil)
	rt := MiddlewareWithBudget(nil, b)(roundTripper(func(r *http.Request) (*http.Response, error) {
		h := http.Header{}
		h.Set("X-RateLimit-Remaining", "2")
		h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10))
		return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody, Request: r}, nil
	}))
	req, _ := http.NewRequestWithContext(WithInstallation(context.Background(), 42), "GET", "http://x/repos/o/r", nil)
	if _, err := rt.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if low, _ := b.Low(42); !low {
		t.Error("the answer's headers did not reach installation 42's budget")
	}
}
