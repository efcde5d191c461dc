package server

import (
	"context"
	"net/http"
	"regexp"
	"time"
)

// Limits of what an unauthenticated client can make the server spend before a webhook's
// signature is checked (issue #18 point 9). GitHub's own requests are far inside them.
const (
	// maxHeaderBytes caps request headers: GitHub's are a few KB. Larger requests get
	// 431 from net/http before any handler (or log line, or metric) sees them.
	maxHeaderBytes = 64 << 10
	// maxConcurrentHooks bounds webhook requests being read and verified at once;
	// beyond it a request waits up to hookSlotWait, then gets 503 (GitHub shows the
	// delivery failed; the redelivery reconciler asks for it again).
	maxConcurrentHooks = 64
	hookSlotWait       = 5 * time.Second

	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second // a 25 MB body at under ~1 MB/s is not GitHub
	// writeTimeout bounds every response; console downloads (populations, evidence
	// packages) may take minutes. The webhook route sets its own, tighter deadline
	// (hookDeadline): GitHub gives up after 10 s anyway.
	writeTimeout = 10 * time.Minute
	idleTimeout  = 120 * time.Second
	hookDeadline = 30 * time.Second
)

// newHTTPServer is the listener's server with every timeout and the header cap set: a
// client that sends headers or a body slowly, or holds idle connections, is cut off.
func newHTTPServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
	}
}

// eventLabel is the metrics label of an X-GitHub-Event value an unauthenticated request
// carries: the event itself when the app handles it (or "ping"), else "other", so a
// client inventing event names cannot add a series per request.
func eventLabel(known map[string]bool, event string) string {
	if known[event] || event == "ping" {
		return event
	}
	return "other"
}

// signatureHeader is the only form of X-Hub-Signature-256 GitHub sends.
var signatureHeader = regexp.MustCompile(`^sha256=[0-9a-f]{64}$`)

// hookSlots bounds concurrent webhook requests before their signature is checked.
type hookSlots chan struct{}

func newHookSlots(n int) hookSlots { return make(hookSlots, n) }

// acquire takes a slot, waiting up to hookSlotWait; false when none freed in time (or
// the client went away).
func (s hookSlots) acquire(ctx context.Context) bool {
	select {
	case s <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(hookSlotWait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (s hookSlots) release() { <-s }

// knownEvents are the event names of the app's handlers.
func knownEvents[H any](byEvent map[string]H) map[string]bool {
	out := make(map[string]bool, len(byEvent))
	for e := range byEvent {
		out[e] = true
	}
	return out
}
