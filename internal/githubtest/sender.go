package githubtest

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Sender posts webhooks signed as GitHub signs them.
type Sender struct {
	URL    string
	Secret string
	// HookID is sent as X-GitHub-Hook-ID; TargetID as X-GitHub-Hook-Installation-Target-ID.
	HookID   int64
	TargetID int64
	Client   *http.Client
}

// NewSender returns a sender to hookURL signing with secret.
func NewSender(hookURL, secret string) *Sender {
	return &Sender{URL: hookURL, Secret: secret, HookID: 424242, TargetID: 1001, Client: &http.Client{Timeout: 30 * time.Second}}
}

// NewGUID returns a random delivery GUID (UUID v4 form).
func NewGUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("githubtest: random GUID: " + err.Error())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Sign returns the X-Hub-Signature-256 value for body: "sha256=" + hex HMAC-SHA256.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SignSHA1 returns the legacy X-Hub-Signature value for body: "sha1=" + hex HMAC-SHA1.
func SignSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// Send posts event with a random delivery GUID. payload is []byte (sent as is) or any
// json.Marshal-able value.
func (w *Sender) Send(event string, payload any) (*http.Response, error) {
	return w.SendDelivery(event, NewGUID(), payload)
}

// SendDelivery posts event with the given delivery GUID (a redelivery reuses the GUID).
func (w *Sender) SendDelivery(event, deliveryID string, payload any) (*http.Response, error) {
	req, err := w.Request(event, deliveryID, payload)
	if err != nil {
		return nil, err
	}
	client := w.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("send %s delivery %s: %w", event, deliveryID, err)
	}
	return resp, nil
}

// Request builds the signed request without sending it (for tests that tamper with it or
// call a handler directly).
func (w *Sender) Request(event, deliveryID string, payload any) (*http.Request, error) {
	body, err := PayloadBytes(payload)
	if err != nil {
		return nil, fmt.Errorf("encode %s payload: %w", event, err)
	}
	req, err := http.NewRequest(http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("new %s delivery request: %w", event, err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "GitHub-Hookshot/fake")
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", deliveryID)
	h.Set("X-GitHub-Hook-ID", strconv.FormatInt(w.HookID, 10))
	h.Set("X-GitHub-Hook-Installation-Target-Type", "integration")
	h.Set("X-GitHub-Hook-Installation-Target-ID", strconv.FormatInt(w.TargetID, 10))
	h.Set("X-Hub-Signature-256", Sign(w.Secret, body))
	h.Set("X-Hub-Signature", SignSHA1(w.Secret, body))
	return req, nil
}

// PayloadBytes returns payload as JSON bytes ([]byte and json.RawMessage are used as is).
func PayloadBytes(payload any) ([]byte, error) {
	switch p := payload.(type) {
	case []byte:
		return p, nil
	case json.RawMessage:
		return p, nil
	case string:
		return []byte(p), nil
	}
	return json.Marshal(payload)
}
