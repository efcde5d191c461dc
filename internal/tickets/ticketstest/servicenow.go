package ticketstest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// ServiceNow authentication modes.
const (
	Basic = "basic"
	OAuth = "oauth" // client credentials at /oauth_token.do
)

// Credentials the fake ServiceNow accepts.
const (
	SNUser         = "foureyes.integration"
	SNPassword     = "sn-password"
	SNClientID     = "sn-client-id"
	SNClientSecret = "sn-client-secret"
	SNHookSecret   = "sn-hook-secret"
)

// Change is one change request of the fake ServiceNow.
type Change struct {
	Number   string // CHG0001234
	SysID    string // default: derived from Number
	State    string // value: -5 New ... -2 Scheduled, -1 Implement, 0 Review, 3 Closed
	Approval string // not requested, requested, approved, rejected
	Type     string // standard, normal, emergency
	Start    string // "2026-11-20 10:00:00" (UTC), "" for none
	End      string
	// Approvers are its sysapproval_approver rows.
	Approvers []SNApprover
}

// SNApprover is one sysapproval_approver row.
type SNApprover struct {
	Name, Email string
	State       string // requested, approved, rejected, not_required
	Updated     string // "2026-11-20 10:02:00" (UTC)
}

var stateNames = map[string]string{"-5": "New", "-4": "Assess", "-3": "Authorize", "-2": "Scheduled", "-1": "Implement", "0": "Review", "3": "Closed", "4": "Canceled"}

// ServiceNow is a fake ServiceNow instance.
type ServiceNow struct {
	faults
	*httptest.Server
	Mode string

	tokens atomic.Int64 // tokens issued
	mu     sync.Mutex
	issued map[string]bool
	byNum  map[string]Change
}

// NewServiceNow starts a fake ServiceNow with the given authentication mode.
func NewServiceNow(t testing.TB, mode string) *ServiceNow {
	s := &ServiceNow{Mode: mode, issued: map[string]bool{}, byNum: map[string]Change{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth_token.do", s.token)
	mux.Handle("GET /api/now/table/change_request", s.auth(http.HandlerFunc(s.changes)))
	mux.Handle("GET /api/now/table/sysapproval_approver", s.auth(http.HandlerFunc(s.approvers)))
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.inject(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

// Put adds or replaces a change request.
func (s *ServiceNow) Put(c Change) {
	if c.SysID == "" {
		c.SysID = "sys" + strings.ToLower(c.Number)
	}
	s.mu.Lock()
	s.byNum[c.Number] = c
	s.mu.Unlock()
}

// Update changes a change request in place.
func (s *ServiceNow) Update(number string, f func(*Change)) {
	s.mu.Lock()
	c := s.byNum[number]
	f(&c)
	s.byNum[number] = c
	s.mu.Unlock()
}

// TokensIssued is how many OAuth tokens the fake gave out.
func (s *ServiceNow) TokensIssued() int64 { return s.tokens.Load() }

func (s *ServiceNow) token(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	if s.Mode != OAuth || r.PostForm.Get("grant_type") != "client_credentials" ||
		r.PostForm.Get("client_id") != SNClientID || r.PostForm.Get("client_secret") != SNClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "access_denied", "error_description": "access_denied"})
		return
	}
	tok := "tok-" + base64.RawURLEncoding.EncodeToString([]byte{byte(s.tokens.Add(1))})
	s.mu.Lock()
	s.issued[tok] = true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 1799, "scope": "useraccount"})
}

func (s *ServiceNow) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		ok := false
		if s.Mode == OAuth {
			tok, found := strings.CutPrefix(h, "Bearer ")
			s.mu.Lock()
			ok = found && s.issued[tok]
			s.mu.Unlock()
		} else {
			ok = h == "Basic "+base64.StdEncoding.EncodeToString([]byte(SNUser+":"+SNPassword))
		}
		if !ok {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"message": "User Not Authenticated", "detail": "Required to provide Auth information"}, "status": "failure"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func field(value, display string) map[string]string {
	return map[string]string{"value": value, "display_value": display}
}

// queryValue reads "field=value" out of a sysparm_query like "number=CHG1^ORDERBY...".
func queryValue(q, name string) string {
	for _, part := range strings.Split(q, "^") {
		if v, ok := strings.CutPrefix(part, name+"="); ok {
			return v
		}
	}
	return ""
}

func (s *ServiceNow) changes(w http.ResponseWriter, r *http.Request) {
	num := queryValue(r.URL.Query().Get("sysparm_query"), "number")
	s.mu.Lock()
	c, ok := s.byNum[num]
	s.mu.Unlock()
	result := []any{}
	if ok {
		result = append(result, map[string]any{
			"sys_id": field(c.SysID, c.SysID), "number": field(c.Number, c.Number),
			"state": field(c.State, stateNames[c.State]), "approval": field(c.Approval, title(c.Approval)),
			"type": field(c.Type, title(c.Type)), "start_date": field(c.Start, c.Start), "end_date": field(c.End, c.End),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

func (s *ServiceNow) approvers(w http.ResponseWriter, r *http.Request) {
	sysID := queryValue(r.URL.Query().Get("sysparm_query"), "sysapproval")
	var c Change
	s.mu.Lock()
	for _, x := range s.byNum {
		if x.SysID == sysID {
			c = x
		}
	}
	s.mu.Unlock()
	result := []any{}
	for i, a := range c.Approvers {
		result = append(result, map[string]any{
			"sys_id":         field(c.SysID+"-a"+string(rune('0'+i)), ""),
			"approver":       map[string]string{"value": "user-" + a.Name, "display_value": a.Name, "link": s.URL + "/api/now/table/sys_user/user-" + a.Name},
			"approver.email": field(a.Email, a.Email), "state": field(a.State, a.State),
			"sys_created_on": field("2026-11-19 08:00:00", "2026-11-19 00:00:00"), "sys_updated_on": field(a.Updated, a.Updated),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"result": result})
}

// ServiceNowHookBody is what a ServiceNow outbound REST message sends foureyes.
func ServiceNowHookBody(number string) []byte {
	b, _ := json.Marshal(map[string]any{"number": number, "table": "change_request"})
	return b
}

// SendServiceNowHook posts body with the shared secret header and returns the status.
func SendServiceNowHook(t testing.TB, url, secret string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Foureyes-Secret", secret)
	// One connection per webhook, as the real sender does: a kept-alive connection to a
	// server the test has since restarted on the same port fails with EOF.
	resp, err := hookClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// title capitalises the first letter, as ServiceNow's display values do.
func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
