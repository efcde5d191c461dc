package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/metrics"
)

func TestHTTPServerTimeoutsAndHeaderCapUnit(t *testing.T) {
	s := newHTTPServer(http.NotFoundHandler())
	if s.MaxHeaderBytes != maxHeaderBytes || s.ReadHeaderTimeout == 0 || s.ReadTimeout == 0 || s.WriteTimeout == 0 || s.IdleTimeout == 0 {
		t.Fatalf("server limits not all set: %+v", s)
	}
}

func TestEventLabelUnit(t *testing.T) {
	known := map[string]bool{"pull_request": true}
	for in, want := range map[string]string{"pull_request": "pull_request", "ping": "ping", "x_1": "other", "": "other"} {
		if got := eventLabel(known, in); got != want {
			t.Errorf("eventLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// Beyond maxConcurrentHooks requests being read at once, the next waits, then gets 503.
func TestConcurrentUnauthenticatedRequestsCappedUnit(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, maxConcurrentHooks)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	h := hookHandler(slow, zerolog.Nop(), metrics.New(), map[string]bool{"push": true})
	sig := "sha256=" + strings.Repeat("a", 64)
	done := make(chan struct{})
	for i := 0; i < maxConcurrentHooks; i++ {
		go func() {
			req := httptest.NewRequest("POST", "/api/github/hook", strings.NewReader("{}"))
			req.Header.Set("X-Hub-Signature-256", sig)
			h.ServeHTTP(httptest.NewRecorder(), req)
			done <- struct{}{}
		}()
	}
	for i := 0; i < maxConcurrentHooks; i++ {
		<-entered
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest("POST", "/api/github/hook", strings.NewReader("{}")).WithContext(ctx)
	req.Header.Set("X-Hub-Signature-256", sig)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("request %d: status %d, want 503", maxConcurrentHooks+1, rec.Code)
	}
	close(release)
	for i := 0; i < maxConcurrentHooks; i++ {
		<-done
	}
}
