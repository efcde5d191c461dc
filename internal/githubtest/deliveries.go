package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HookDelivery is one attempt GitHub made to deliver a webhook of the App, as
// GET /app/hook/deliveries lists it. A redelivery is a new attempt with the same GUID.
type HookDelivery struct {
	ID             int64     `json:"id"`
	GUID           string    `json:"guid"`
	DeliveredAt    time.Time `json:"delivered_at"`
	Redelivery     bool      `json:"redelivery"`
	Duration       float64   `json:"duration"`
	Status         string    `json:"status"` // "OK", or e.g. "Invalid HTTP Response: 503"
	StatusCode     int       `json:"status_code"`
	Event          string    `json:"event"`
	Action         string    `json:"action,omitempty"`
	InstallationID int64     `json:"installation_id,omitempty"`
	RepositoryID   int64     `json:"repository_id,omitempty"`
}

// hookDeliveries is the App's delivery log. It lives beside the Server (which server.go
// owns) and its routes are registered once per server, on first use.
type hookDeliveries struct {
	s    *Server
	once sync.Once

	mu           sync.Mutex
	attempts     []HookDelivery    // in the order recorded
	payloads     map[string][]byte // GUID -> the body GitHub would send again
	target       string
	secret       string
	redeliveries []int64 // ids POSTed to .../attempts and accepted, in order
	nextID       int64
}

var hookDeliveryLogs sync.Map // *Server -> *hookDeliveries

// EnableHookDeliveries registers the App hook delivery routes on s (once):
//
//	GET  /api/v3/app/hook/deliveries?per_page=&cursor=  newest first, cursor pagination
//	GET  /api/v3/app/hook/deliveries/{id}
//	POST /api/v3/app/hook/deliveries/{id}/attempts      202; redelivers
//
// All need the app JWT (the server's front door checks it for /app routes). The other hook
// delivery helpers call it, so tests rarely need to.
func (s *Server) EnableHookDeliveries() {
	h := s.hookLog()
	h.once.Do(func() {
		s.HandleFunc("GET "+apiPrefix+"/app/hook/deliveries", h.handleList)
		s.HandleFunc("GET "+apiPrefix+"/app/hook/deliveries/{id}", h.handleGet)
		s.HandleFunc("POST "+apiPrefix+"/app/hook/deliveries/{id}/attempts", h.handleRedeliver)
	})
}

func (s *Server) hookLog() *hookDeliveries {
	h, _ := hookDeliveryLogs.LoadOrStore(s, &hookDeliveries{s: s, payloads: map[string][]byte{}, nextID: 9_000_000_001})
	return h.(*hookDeliveries)
}

// AddHookDelivery records a delivery attempt as if GitHub had made it, and keeps payload (if
// any) so a redelivery can send it again. Zero fields get defaults: ID (next), GUID (new),
// DeliveredAt (now), Status/StatusCode ("OK"/200), Event (event). It returns the attempt.
func (s *Server) AddHookDelivery(d HookDelivery, event string, payload []byte) HookDelivery {
	s.EnableHookDeliveries()
	h := s.hookLog()
	h.mu.Lock()
	defer h.mu.Unlock()
	if d.ID == 0 {
		d.ID = h.nextID
		h.nextID++
	}
	if d.GUID == "" {
		d.GUID = NewGUID()
	}
	if d.DeliveredAt.IsZero() {
		d.DeliveredAt = time.Now()
	}
	d.DeliveredAt = d.DeliveredAt.UTC()
	if d.Status == "" && d.StatusCode == 0 {
		d.Status, d.StatusCode = "OK", http.StatusOK
	} else if d.Status == "" {
		d.Status = attemptStatus(d.StatusCode)
	}
	if d.Event == "" {
		d.Event = event
	}
	if payload != nil {
		h.payloads[d.GUID] = append([]byte(nil), payload...)
	}
	h.attempts = append(h.attempts, d)
	return d
}

// SetHookTarget makes redeliveries real: POST .../attempts then sends the stored payload of
// the GUID to url, signed with secret, with the original GUID, and records the outcome as
// the new attempt. Without a target a redelivery is recorded as delivered ("OK").
func (s *Server) SetHookTarget(url, secret string) {
	s.EnableHookDeliveries()
	h := s.hookLog()
	h.mu.Lock()
	defer h.mu.Unlock()
	h.target, h.secret = url, secret
}

// DeliverHook sends event to the hook target (SetHookTarget) as GitHub would, records the
// attempt with its outcome (a refused connection or a non-2xx answer is a failed attempt),
// and keeps the payload for redelivery.
func (s *Server) DeliverHook(event, action string, payload []byte) HookDelivery {
	s.EnableHookDeliveries()
	h := s.hookLog()
	h.mu.Lock()
	target, secret := h.target, h.secret
	h.mu.Unlock()
	d := HookDelivery{GUID: NewGUID(), Event: event, Action: action}
	d.Status, d.StatusCode, d.Duration = send(target, secret, event, d.GUID, payload)
	return s.AddHookDelivery(d, event, payload)
}

// Redeliveries returns the delivery ids whose redelivery was requested, in order.
func (s *Server) Redeliveries() []int64 {
	h := s.hookLog()
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]int64(nil), h.redeliveries...)
}

// HookDeliveries returns every attempt recorded, oldest first.
func (s *Server) HookDeliveries() []HookDelivery {
	h := s.hookLog()
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]HookDelivery(nil), h.attempts...)
}

// newestFirst returns the attempts as the API lists them: newest delivered_at first (the
// higher id first on a tie).
func (h *hookDeliveries) newestFirst() []HookDelivery {
	h.mu.Lock()
	out := append([]HookDelivery(nil), h.attempts...)
	h.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].DeliveredAt.Equal(out[j].DeliveredAt) {
			return out[i].DeliveredAt.After(out[j].DeliveredAt)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// handleList answers one page. The cursor is opaque to clients ("v1_<id>" of the last attempt
// of the previous page), so attempts recorded meanwhile do not shift later pages.
func (h *hookDeliveries) handleList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	per := 30
	if v, err := strconv.Atoi(q.Get("per_page")); err == nil && v > 0 {
		per = min(v, 100)
	}
	all := h.newestFirst()
	start := 0
	if c := q.Get("cursor"); c != "" {
		id, err := strconv.ParseInt(strings.TrimPrefix(c, "v1_"), 10, 64)
		if err != nil || !strings.HasPrefix(c, "v1_") {
			writeValidation(w, "HookDelivery", "cursor", "invalid", "cursor is not valid")
			return
		}
		start = len(all)
		for i, d := range all {
			if d.ID == id {
				start = i + 1
				break
			}
		}
	}
	end := min(start+per, len(all))
	page := all[start:end]
	if end < len(all) && len(page) > 0 {
		q2 := url.Values{}
		q2.Set("per_page", strconv.Itoa(per))
		q2.Set("cursor", "v1_"+strconv.FormatInt(page[len(page)-1].ID, 10))
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q2.Encode()}
		w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", u.String()))
	}
	writeJSON(w, http.StatusOK, append([]HookDelivery{}, page...))
}

func (h *hookDeliveries) find(r *http.Request) (HookDelivery, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return HookDelivery{}, false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, d := range h.attempts {
		if d.ID == id {
			return d, true
		}
	}
	return HookDelivery{}, false
}

// handleGet answers one attempt with its request (headers and the payload as parsed JSON,
// not the signed bytes, as on GitHub) and response.
func (h *hookDeliveries) handleGet(w http.ResponseWriter, r *http.Request) {
	d, ok := h.find(r)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	h.mu.Lock()
	payload := h.payloads[d.GUID]
	h.mu.Unlock()
	var parsed any
	if len(payload) > 0 {
		_ = json.Unmarshal(payload, &parsed)
	}
	writeJSON(w, http.StatusOK, struct {
		HookDelivery
		Request  map[string]any `json:"request"`
		Response map[string]any `json:"response"`
	}{d,
		map[string]any{"headers": map[string]string{"X-GitHub-Event": d.Event, "X-GitHub-Delivery": d.GUID}, "payload": parsed},
		map[string]any{"headers": map[string]string{}, "payload": nil},
	})
}

// handleRedeliver records the request, sends the event again when a target is set (before
// answering, so a test sees the new attempt as soon as the call returns; GitHub does it
// asynchronously), appends the new attempt and answers 202.
func (h *hookDeliveries) handleRedeliver(w http.ResponseWriter, r *http.Request) {
	d, ok := h.find(r)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	h.mu.Lock()
	h.redeliveries = append(h.redeliveries, d.ID)
	target, secret, payload := h.target, h.secret, h.payloads[d.GUID]
	h.mu.Unlock()

	status, code, dur := "OK", http.StatusOK, 0.0
	if target != "" && payload != nil {
		status, code, dur = send(target, secret, d.Event, d.GUID, payload)
	}
	h.s.AddHookDelivery(HookDelivery{
		GUID: d.GUID, Redelivery: true, Status: status, StatusCode: code, Duration: dur,
		Event: d.Event, Action: d.Action, InstallationID: d.InstallationID, RepositoryID: d.RepositoryID,
	}, d.Event, nil)
	writeJSON(w, http.StatusAccepted, map[string]any{})
}

// send posts a signed webhook and returns the attempt's status as GitHub reports it.
func send(target, secret, event, guid string, payload []byte) (status string, code int, seconds float64) {
	if target == "" {
		return "Failed to connect to host", 0, 0
	}
	start := time.Now()
	resp, err := NewSender(target, secret).SendDelivery(event, guid, payload)
	seconds = time.Since(start).Seconds()
	if err != nil {
		return "Failed to connect to host", 0, seconds
	}
	resp.Body.Close()
	return attemptStatus(resp.StatusCode), resp.StatusCode, seconds
}

// attemptStatus is GitHub's status text of an attempt answered with code.
func attemptStatus(code int) string {
	if code >= 200 && code < 300 {
		return "OK"
	}
	return fmt.Sprintf("Invalid HTTP Response: %d", code)
}
