package ticketstest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Jira flavours.
const (
	Cloud      = "v3" // Jira Cloud: REST v3, basic auth with e-mail and API token
	DataCenter = "v2" // Jira Data Center: REST v2, Bearer personal access token
)

// Credentials the fake Jira accepts.
const (
	JiraEmail = "bot@acme.example"
	JiraToken = "jira-api-token"
	JiraPAT   = "jira-personal-access-token"
)

// Issue is one issue of the fake Jira.
type Issue struct {
	Key            string
	Status         string // e.g. "Approved"
	StatusCategory string // new, indeterminate, done
	Type           string // e.g. "Change"
	PlannedStart   string // Jira date-time, e.g. "2026-11-20T10:00:00.000+0000"; "" for none
	PlannedEnd     string
	// Approvals nil: not a service request (the approvals endpoint answers 404).
	Approvals []Approval
}

// Approval is one JSM approval step.
type Approval struct {
	Name          string
	FinalDecision string // pending, approved, declined
	Approvers     []Approver
	Created       string // ISO 8601 as JSM writes it, e.g. "2026-11-20T09:00:00+0000"
	Completed     string
}

// Approver is one approver of a step.
type Approver struct {
	Name, Email string
	Decision    string // pending, approved, declined
}

// Jira is a fake Jira site.
type Jira struct {
	faults
	*httptest.Server
	Flavour string

	mu     sync.Mutex
	issues map[string]Issue
}

// NewJira starts a fake Jira of the given flavour (Cloud or DataCenter), stopped at the
// end of the test.
func NewJira(t testing.TB, flavour string) *Jira {
	j := &Jira{Flavour: flavour, issues: map[string]Issue{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /rest/api/{version}/issue/{key}", j.issue)
	mux.HandleFunc("GET /rest/servicedeskapi/request/{key}/approval", j.approvals)
	j.Server = httptest.NewServer(j.auth(mux))
	t.Cleanup(j.Close)
	return j
}

// Put adds or replaces an issue.
func (j *Jira) Put(is Issue) {
	j.mu.Lock()
	j.issues[is.Key] = is
	j.mu.Unlock()
}

// Update changes an issue in place.
func (j *Jira) Update(key string, f func(*Issue)) {
	j.mu.Lock()
	is := j.issues[key]
	f(&is)
	j.issues[key] = is
	j.mu.Unlock()
}

func (j *Jira) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if j.inject(w, r) {
			return
		}
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(JiraEmail+":"+JiraToken))
		if j.Flavour == DataCenter {
			want = "Bearer " + JiraPAT
		}
		if r.Header.Get("Authorization") != want {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"errorMessages":["You are not authenticated."]}`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (j *Jira) issue(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("version") != strings.TrimPrefix(j.Flavour, "v") {
		writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"no such API version on this site"}})
		return
	}
	j.mu.Lock()
	is, ok := j.issues[r.PathValue("key")]
	j.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]any{"errorMessages": []string{"Issue does not exist or you do not have permission to see it."}, "errors": map[string]any{}})
		return
	}
	fields := map[string]any{
		"summary":   "change " + is.Key,
		"status":    map[string]any{"name": is.Status, "id": "10001", "statusCategory": map[string]any{"key": is.StatusCategory, "id": 4, "name": is.StatusCategory}},
		"issuetype": map[string]any{"name": is.Type, "id": "10100"},
	}
	names := map[string]string{"summary": "Summary", "status": "Status", "issuetype": "Issue Type"}
	if strings.Contains(r.URL.Query().Get("expand"), "names") {
		names["customfield_10400"], names["customfield_10401"] = "Planned start", "Planned end"
	}
	if is.PlannedStart != "" {
		fields["customfield_10400"] = is.PlannedStart
	}
	if is.PlannedEnd != "" {
		fields["customfield_10401"] = is.PlannedEnd
	}
	body := map[string]any{"id": "10042", "key": is.Key, "self": j.URL + r.URL.Path, "fields": fields}
	if strings.Contains(r.URL.Query().Get("expand"), "names") {
		body["names"] = names
	}
	writeJSON(w, http.StatusOK, body)
}

func (j *Jira) approvals(w http.ResponseWriter, r *http.Request) {
	if j.Flavour == DataCenter && r.Header.Get("X-ExperimentalApi") != "opt-in" {
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{"errorMessage": "This API is experimental. Experimental APIs need to be explicitly opted-in to via the header 'X-ExperimentalApi: opt-in'."})
		return
	}
	j.mu.Lock()
	is, ok := j.issues[r.PathValue("key")]
	j.mu.Unlock()
	if !ok || is.Approvals == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"errorMessage": "The request could not be found."})
		return
	}
	start, _ := strconv.Atoi(r.URL.Query().Get("start"))
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 50 {
		limit = 50
	}
	values := []any{}
	for i := start; i < len(is.Approvals) && i < start+limit; i++ {
		a := is.Approvals[i]
		approvers := []any{}
		for _, p := range a.Approvers {
			approvers = append(approvers, map[string]any{
				"approver":         map[string]any{"accountId": "acc-" + p.Name, "displayName": p.Name, "emailAddress": p.Email, "active": true},
				"approverDecision": p.Decision,
			})
		}
		v := map[string]any{"id": strconv.Itoa(i + 1), "name": a.Name, "finalDecision": a.FinalDecision, "canAnswerApproval": false,
			"approvers": approvers, "createdDate": jiraDate(a.Created)}
		if a.Completed != "" {
			v["completedDate"] = jiraDate(a.Completed)
		}
		values = append(values, v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"size": len(values), "start": start, "limit": limit,
		"isLastPage": start+len(values) >= len(is.Approvals), "values": values})
}

func jiraDate(iso string) map[string]any {
	t, _ := time.Parse("2006-01-02T15:04:05-0700", iso)
	return map[string]any{"iso8601": iso, "jira": iso, "friendly": t.Format("02/Jan/06 3:04 PM"), "epochMillis": t.UnixMilli()}
}

// JiraWebhookBody is the body Jira sends for an issue_updated event of key.
func JiraWebhookBody(key, status string) []byte {
	b, _ := json.Marshal(map[string]any{
		"timestamp": time.Date(2026, 11, 20, 10, 2, 0, 0, time.UTC).UnixMilli(), "webhookEvent": "jira:issue_updated",
		"issue_event_type_name": "issue_generic",
		"issue":                 map[string]any{"id": "10042", "key": key, "fields": map[string]any{"status": map[string]any{"name": status}}},
		"changelog":             map[string]any{"items": []any{map[string]any{"field": "status", "toString": status}}},
	})
	return b
}

// SignJira is the X-Hub-Signature Jira sends with a webhook secret: sha256=<hex HMAC>.
func SignJira(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// SendJiraWebhook posts body to url signed with secret and returns the status code.
// hookClient sends the test webhooks: a new connection each (DisableKeepAlives; a
// request's Close alone still takes an idle pooled connection).
var hookClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func SendJiraWebhook(t testing.TB, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature", SignJira(secret, body))
	req.Header.Set("X-Atlassian-Webhook-Identifier", "wh-"+strconv.Itoa(len(body)))
	// One connection per webhook, as the real sender does: a kept-alive connection to a
	// server the test has since restarted on the same port fails with EOF.
	resp, err := hookClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
