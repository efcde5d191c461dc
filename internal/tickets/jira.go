package tickets

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/foureyes/foureyes/policy"
)

// JiraConfig is a connection to one Jira site.
type JiraConfig struct {
	URL string // https://acme.atlassian.net, or a Data Center base URL
	// API is "v3" (Jira Cloud, the default) or "v2" (Jira Data Center).
	API string
	// Email and Token: Cloud basic authentication with an API token.
	Email, Token string
	// PAT: a Data Center personal access token, sent as a Bearer token (Jira 8.14+).
	// It wins over Email/Token when both are set.
	PAT string

	HTTPClient *http.Client // default: a plain client
	Timeout    time.Duration
	Retry      Retry
	Metrics    *Metrics
}

// Jira reads Jira issues and their Jira Service Management approvals.
type Jira struct {
	base   string
	api    string
	header http.Header
	req    *requester
}

// NewJira checks cfg and returns a client.
func NewJira(cfg JiraConfig) (*Jira, error) {
	base, err := baseURL(cfg.URL, "tickets.jira.url")
	if err != nil {
		return nil, err
	}
	api := cfg.API
	switch api {
	case "":
		api = "v3"
	case "v2", "v3":
	default:
		return nil, errors.New("tickets.jira.api must be v3 (Cloud) or v2 (Data Center)")
	}
	h := http.Header{}
	switch {
	case cfg.PAT != "":
		h.Set("Authorization", "Bearer "+cfg.PAT)
	case cfg.Email != "" && cfg.Token != "":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cfg.Email+":"+cfg.Token)))
	default:
		return nil, errors.New("tickets.jira needs email and token (Cloud) or pat (Data Center)")
	}
	if api == "v2" {
		h.Set("X-ExperimentalApi", "opt-in") // Data Center's servicedeskapi approvals need it
	}
	return &Jira{base: base, api: api, header: h, req: newRequester(policy.SystemJira, cfg.HTTPClient, cfg.Timeout, cfg.Retry, cfg.Metrics)}, nil
}

// System is "jira".
func (j *Jira) System() string { return policy.SystemJira }

// Read reads the issue (status, type, planned window) and its approvals. An issue that is
// not a service request has no approvals endpoint (404): it is read with none.
func (j *Jira) Read(ctx context.Context, key string) (policy.TicketSnapshot, error) {
	if !validKey(key) {
		return policy.TicketSnapshot{}, ErrNotFound
	}
	digest := sha256.New()
	issueURL := j.base + "/rest/api/" + strings.TrimPrefix(j.api, "v") + "/issue/" + url.PathEscape(key) +
		"?fields=*all&expand=names"
	raw, err := j.req.get(ctx, "issue", issueURL, j.header)
	if err != nil {
		return policy.TicketSnapshot{}, err
	}
	digest.Write(raw)
	snap, err := ParseJiraIssue(raw)
	if err != nil {
		return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemJira, Reason: "issue answer does not parse: " + err.Error()}
	}
	if snap.Key == "" {
		snap.Key = key
	}
	start := 0
	for page := 0; page < maxApprovalPages; page++ {
		u := j.base + "/rest/servicedeskapi/request/" + url.PathEscape(key) + "/approval?start=" + strconv.Itoa(start) + "&limit=50"
		raw, err := j.req.get(ctx, "approval", u, j.header)
		if errors.Is(err, ErrNotFound) {
			break // not a service request: no approvals
		}
		if err != nil {
			return policy.TicketSnapshot{}, err
		}
		digest.Write(raw)
		approvals, last, n, err := ParseJiraApprovals(raw)
		if err != nil {
			return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemJira, Reason: "approvals answer does not parse: " + err.Error()}
		}
		snap.Approvals = append(snap.Approvals, approvals...)
		if last || n == 0 {
			break
		}
		start += n
	}
	snap.Digest = "sha256:" + hex.EncodeToString(digest.Sum(nil))
	return snap, nil
}

// maxApprovalPages bounds the approvals read of one issue (50 a page).
const maxApprovalPages = 10

// validKey accepts the characters ticket keys are made of, so a key matched in a PR
// title by a loose pattern can never change the meaning of a URL or a query.
func validKey(key string) bool {
	if key == "" || len(key) > 64 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// jiraIssue is the part of GET /rest/api/{2,3}/issue/{key} foureyes reads.
type jiraIssue struct {
	Key    string                     `json:"key"`
	Fields map[string]json.RawMessage `json:"fields"`
	Names  map[string]string          `json:"names"`
}

type jiraStatus struct {
	Name           string `json:"name"`
	StatusCategory struct {
		Key string `json:"key"`
	} `json:"statusCategory"`
}

// Names of the planned-window fields of Jira Service Management change requests (site
// custom fields, found by name through expand=names).
var (
	plannedStartNames = []string{"planned start", "change start date", "planned start date"}
	plannedEndNames   = []string{"planned end", "change completion date", "planned end date"}
)

// ParseJiraIssue reads an issue answer (REST v2 or v3) into a snapshot without approvals.
func ParseJiraIssue(raw []byte) (policy.TicketSnapshot, error) {
	var is jiraIssue
	if err := json.Unmarshal(raw, &is); err != nil {
		return policy.TicketSnapshot{}, errors.New("not a Jira issue")
	}
	if is.Fields == nil {
		return policy.TicketSnapshot{}, errors.New("issue has no fields")
	}
	s := policy.TicketSnapshot{Key: bounded(is.Key), System: policy.SystemJira, Read: policy.TicketReadOK, Approvals: []policy.TicketApproval{}}
	if st, ok := is.Fields["status"]; ok {
		var v jiraStatus
		if json.Unmarshal(st, &v) == nil {
			s.Status, s.StatusCategory = bounded(v.Name), bounded(v.StatusCategory.Key)
		}
	}
	if it, ok := is.Fields["issuetype"]; ok {
		var v struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(it, &v) == nil {
			s.Type = bounded(v.Name)
		}
	}
	for id, name := range is.Names {
		n := strings.ToLower(strings.TrimSpace(name))
		var target *string
		switch {
		case slices.Contains(plannedStartNames, n):
			target = &s.PlannedStart
		case slices.Contains(plannedEndNames, n):
			target = &s.PlannedEnd
		default:
			continue
		}
		var v string
		if raw, ok := is.Fields[id]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
			if t, ok := parseTime(v); ok {
				*target = t
			}
		}
	}
	return s, nil
}

// jiraApprovals is GET /rest/servicedeskapi/request/{key}/approval.
type jiraApprovals struct {
	Size       int  `json:"size"`
	IsLastPage bool `json:"isLastPage"`
	Values     []struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		FinalDecision string `json:"finalDecision"`
		Approvers     []struct {
			Approver struct {
				AccountID    string `json:"accountId"`
				Key          string `json:"key"`
				Name         string `json:"name"`
				DisplayName  string `json:"displayName"`
				EmailAddress string `json:"emailAddress"`
			} `json:"approver"`
			ApproverDecision string `json:"approverDecision"`
		} `json:"approvers"`
		CreatedDate   jiraDate `json:"createdDate"`
		CompletedDate jiraDate `json:"completedDate"`
	} `json:"values"`
}

type jiraDate struct {
	ISO8601 string `json:"iso8601"`
}

// ParseJiraApprovals reads one page of approvals; last says it was the last page and n
// how many approvals it held.
func ParseJiraApprovals(raw []byte) (out []policy.TicketApproval, last bool, n int, err error) {
	var a jiraApprovals
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, false, 0, errors.New("not a Jira Service Management approvals page")
	}
	out = make([]policy.TicketApproval, 0, len(a.Values))
	for _, v := range a.Values {
		ap := policy.TicketApproval{Name: bounded(v.Name), Decision: bounded(strings.ToLower(v.FinalDecision)), Approvers: []policy.TicketApprover{}}
		ap.CreatedAt, _ = parseTime(v.CreatedDate.ISO8601)
		ap.CompletedAt, _ = parseTime(v.CompletedDate.ISO8601)
		for _, p := range v.Approvers {
			who := p.Approver
			name := who.DisplayName
			if name == "" {
				name = who.Name
			}
			ar := policy.TicketApprover{Name: bounded(name), Email: bounded(strings.ToLower(who.EmailAddress)),
				Decision: bounded(strings.ToLower(p.ApproverDecision))}
			if ar.Decision != "pending" && ar.Decision != "" {
				ar.At = ap.CompletedAt // JSM dates the step, not each approver's answer
			}
			ap.Approvers = append(ap.Approvers, ar)
		}
		out = append(out, ap)
	}
	return out, a.IsLastPage, len(a.Values), nil
}

// bounded cuts outside text that ends up in facts and reasons to a sane length, on one
// line (control characters become spaces).
func bounded(s string) string {
	const max = 200
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// Time layouts of Jira ("2026-11-20T10:02:00.000+0000") and ServiceNow ("2026-11-20
// 10:02:00", UTC in the value of a field).
var timeLayouts = []string{
	"2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", time.RFC3339Nano, time.RFC3339,
	"2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02",
}

// parseTime turns a Jira or ServiceNow time into RFC 3339 UTC.
func parseTime(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC().Format(time.RFC3339), true
		}
	}
	return "", false
}
