package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/metrics"
	"github.com/foureyes/foureyes/internal/store"
)

// maxWebhookBody is GitHub's own payload cap: it never sends more, so anything larger is
// not GitHub.
const maxWebhookBody = 25 << 20

// keptHeaders are the delivery headers stored with the body, so a delivery processed
// after a restart looks exactly as it arrived.
var keptHeaders = []string{
	"X-GitHub-Event", "X-GitHub-Delivery", "X-GitHub-Hook-ID", "X-Hub-Signature-256",
	"X-GitHub-Hook-Installation-Target-Type", "X-GitHub-Hook-Installation-Target-ID",
	"User-Agent", "Content-Type",
}

type headersKey struct{}

// hookHandler wraps go-githubapp's dispatcher: it refuses what cannot be a signed GitHub
// delivery before reading its body (no or a malformed signature header, a declared
// length over GitHub's cap), bounds how many requests are read at once, caps the body,
// keeps the headers for the inbox, and gives the dispatcher a logger. known are the
// events the app handles: metrics label any other event "other".
func hookHandler(dispatcher http.Handler, logger zerolog.Logger, m *metrics.Metrics, known map[string]bool) http.Handler {
	slots := newHookSlots(maxConcurrentHooks)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "webhooks are POSTed", http.StatusMethodNotAllowed)
			return
		}
		event := eventLabel(known, r.Header.Get("X-GitHub-Event"))
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(hookDeadline)) // not supported by test recorders: ignored
		_ = rc.SetWriteDeadline(time.Now().Add(hookDeadline))
		if r.ContentLength > maxWebhookBody {
			m.Deliveries.WithLabelValues(event, "too_large").Inc()
			http.Error(w, "payload over 25 MB", http.StatusRequestEntityTooLarge)
			return
		}
		if !signatureHeader.MatchString(r.Header.Get("X-Hub-Signature-256")) {
			// No body is read: without a well-formed signature it cannot verify.
			m.Deliveries.WithLabelValues(event, "bad_signature").Inc()
			http.Error(w, "invalid webhook signature or headers", http.StatusUnauthorized)
			return
		}
		if !slots.acquire(r.Context()) {
			m.Deliveries.WithLabelValues(event, "busy").Inc()
			w.Header().Set("Retry-After", "5")
			http.Error(w, "too many webhook requests at once", http.StatusServiceUnavailable)
			return
		}
		defer slots.release()
		r.Body = http.MaxBytesReader(w, r.Body, maxWebhookBody)
		h := http.Header{}
		for _, k := range keptHeaders {
			if v := r.Header.Values(k); len(v) > 0 {
				h[k] = v
			}
		}
		ctx := context.WithValue(r.Context(), headersKey{}, h)
		ctx = logger.WithContext(ctx)
		dispatcher.ServeHTTP(w, r.WithContext(ctx))
	})
}

// inboxScheduler is the dispatcher's Scheduler: instead of running the handler it stores
// the verified delivery, and only then does the dispatcher answer GitHub. Workers process
// the inbox; a crash after the answer loses nothing.
type inboxScheduler struct {
	store   store.Inbox
	metrics *metrics.Metrics
	wake    func()
	now     func() time.Time
}

func (s *inboxScheduler) Schedule(ctx context.Context, d githubapp.Dispatch) error {
	if d.DeliveryID == "" {
		return githubapp.ValidationError{EventType: d.EventType, Cause: errors.New("missing X-GitHub-Delivery")}
	}
	h, _ := ctx.Value(headersKey{}).(http.Header)
	inserted, err := s.store.Enqueue(ctx, store.Delivery{
		ID: d.DeliveryID, Event: d.EventType, Headers: h, Body: d.Payload,
		ReceivedAt: s.now().UTC(), Status: store.DeliveryPending,
	})
	if err != nil {
		s.metrics.Deliveries.WithLabelValues(d.EventType, "store_error").Inc()
		return err // 500: GitHub shows the delivery as failed; the reconciler redelivers it
	}
	if !inserted {
		s.metrics.Deliveries.WithLabelValues(d.EventType, "duplicate").Inc()
		zerolog.Ctx(ctx).Info().Msg("duplicate delivery ignored")
		return nil
	}
	s.metrics.Deliveries.WithLabelValues(d.EventType, "accepted").Inc()
	s.wake()
	return nil
}

// hookErrorCallback answers what the dispatcher could not accept: a bad or missing
// signature is 401 and counted, a body over the cap 413, a store that is down 503, any
// other store failure 500. Never 2xx for a delivery that was not stored.
func hookErrorCallback(m *metrics.Metrics, known map[string]bool) githubapp.ErrorCallback {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		logger := zerolog.Ctx(r.Context())
		event := eventLabel(known, r.Header.Get("X-GitHub-Event"))
		var tooLarge *http.MaxBytesError
		var ve githubapp.ValidationError
		if errors.As(err, &tooLarge) || errors.As(err, &ve) && errors.As(ve.Cause, &tooLarge) {
			m.Deliveries.WithLabelValues(event, "too_large").Inc()
			http.Error(w, "payload over 25 MB", http.StatusRequestEntityTooLarge)
			return
		}
		if errors.As(err, &ve) {
			m.Deliveries.WithLabelValues(event, "bad_signature").Inc()
			logger.Warn().Err(ve.Cause).Msg("webhook refused: invalid signature or headers")
			http.Error(w, "invalid webhook signature or headers", http.StatusUnauthorized)
			return
		}
		if store.IsTransient(err) {
			// The database is down or failing over: GitHub lists the delivery as failed
			// and the reconciler (or GitHub's own redelivery) sends it again later.
			logger.Warn().Err(err).Msg("webhook not stored: the store is unavailable")
			w.Header().Set("Retry-After", "30")
			http.Error(w, "the store is unavailable: the delivery was not stored", http.StatusServiceUnavailable)
			return
		}
		logger.Error().Err(err).Msg("webhook not stored")
		http.Error(w, "could not store the delivery", http.StatusInternalServerError)
	}
}
