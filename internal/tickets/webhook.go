package tickets

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/policy"
)

// maxHookBody bounds a ticket webhook body; Jira's issue events are a few tens of KB.
const maxHookBody = 1 << 20

// ServiceNowSecretHeader carries the shared secret of a ServiceNow outbound REST message.
const ServiceNowSecretHeader = "X-Foureyes-Secret"

// VerifyJiraSignature checks Jira's X-Hub-Signature ("sha256=<hex HMAC-SHA256 of the
// body>") in constant time. An empty secret verifies nothing.
func VerifyJiraSignature(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if secret == "" || !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(got, m.Sum(nil))
}

// ParseJiraWebhook returns the issue key of a Jira webhook body (jira:issue_*,
// comment_*, ...): the event names the issue under "issue".
func ParseJiraWebhook(body []byte) (event, key string, err error) {
	var w struct {
		WebhookEvent string `json:"webhookEvent"`
		Issue        *struct {
			Key string `json:"key"`
		} `json:"issue"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return "", "", errors.New("not a JSON webhook body")
	}
	if w.Issue == nil || !validKey(w.Issue.Key) {
		return bounded(w.WebhookEvent), "", errors.New("no issue key in the webhook")
	}
	return bounded(w.WebhookEvent), w.Issue.Key, nil
}

// ParseServiceNowWebhook returns the change request number of an outbound REST message
// body: {"number": "CHG0001234"}.
func ParseServiceNowWebhook(body []byte) (string, error) {
	var w struct {
		Number string `json:"number"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return "", errors.New("not a JSON body")
	}
	if !validKey(w.Number) {
		return "", errors.New("no change request number in the body")
	}
	return w.Number, nil
}

// Changed is told which ticket a webhook says changed (Watcher.Changed).
type Changed func(system, key string)

// JiraHook serves POST /api/jira/hook: a Jira webhook signed with the configured secret.
// A missing or wrong signature is 401 and changes nothing.
func JiraHook(secret string, changed Changed, m *Metrics, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := readHook(w, r)
		if !ok {
			return
		}
		if !VerifyJiraSignature(secret, body, r.Header.Get("X-Hub-Signature")) {
			m.webhook(policy.SystemJira, "bad_signature")
			log.Warn().Str("remote", r.RemoteAddr).Msg("Jira webhook refused: bad or missing X-Hub-Signature")
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		event, key, err := ParseJiraWebhook(body)
		if err != nil {
			m.webhook(policy.SystemJira, "ignored")
			w.WriteHeader(http.StatusAccepted)
			return
		}
		m.webhook(policy.SystemJira, "accepted")
		log.Info().Str("event", event).Str("ticket", key).Msg("Jira webhook: ticket changed")
		changed(policy.SystemJira, key)
		w.WriteHeader(http.StatusAccepted)
	})
}

// ServiceNowHook serves POST /api/servicenow/hook: an outbound REST message carrying the
// configured shared secret in the X-Foureyes-Secret header.
func ServiceNowHook(secret string, changed Changed, m *Metrics, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := readHook(w, r)
		if !ok {
			return
		}
		got := r.Header.Get(ServiceNowSecretHeader)
		if secret == "" || subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			m.webhook(policy.SystemServiceNow, "bad_signature")
			log.Warn().Str("remote", r.RemoteAddr).Msg("ServiceNow webhook refused: bad or missing " + ServiceNowSecretHeader)
			http.Error(w, "bad secret", http.StatusUnauthorized)
			return
		}
		number, err := ParseServiceNowWebhook(body)
		if err != nil {
			m.webhook(policy.SystemServiceNow, "ignored")
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		m.webhook(policy.SystemServiceNow, "accepted")
		log.Info().Str("ticket", number).Msg("ServiceNow webhook: change request changed")
		changed(policy.SystemServiceNow, number)
		w.WriteHeader(http.StatusAccepted)
	})
}

func readHook(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxHookBody+1))
	if err != nil {
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return nil, false
	}
	if len(body) > maxHookBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return nil, false
	}
	return body, true
}
