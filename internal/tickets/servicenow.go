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
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/foureyes/foureyes/policy"
)

// ServiceNowConfig is a connection to one ServiceNow instance.
type ServiceNowConfig struct {
	URL string // https://acme.service-now.com
	// Username and Password: basic authentication.
	Username, Password string
	// ClientID and ClientSecret: OAuth client credentials at /oauth_token.do (an admin
	// must enable the grant). They win over Username/Password when both are set.
	ClientID, ClientSecret string

	HTTPClient *http.Client
	Timeout    time.Duration
	Retry      Retry
	Metrics    *Metrics
}

// ServiceNow reads change requests and their approvers through the Table API.
type ServiceNow struct {
	base   string
	header http.Header
	req    *requester
}

// NewServiceNow checks cfg and returns a client.
func NewServiceNow(cfg ServiceNowConfig) (*ServiceNow, error) {
	base, err := baseURL(cfg.URL, "tickets.servicenow.url")
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{}
	}
	switch {
	case cfg.ClientID != "" && cfg.ClientSecret != "":
		cc := clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			TokenURL: base + "/oauth_token.do", AuthStyle: oauth2.AuthStyleInParams}
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = DefaultTimeout
		}
		tokenClient := *client
		tokenClient.Timeout = timeout
		ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &tokenClient)
		client = cc.Client(ctx) // caches and refreshes the token
	case cfg.Username != "" && cfg.Password != "":
		h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password)))
	default:
		return nil, errors.New("tickets.servicenow needs username and password, or client_id and client_secret")
	}
	return &ServiceNow{base: base, header: h, req: newRequester(policy.SystemServiceNow, client, cfg.Timeout, cfg.Retry, cfg.Metrics)}, nil
}

// System is "servicenow".
func (s *ServiceNow) System() string { return policy.SystemServiceNow }

// State display names by value, for answers without display values.
var serviceNowStates = map[string]string{
	"-5": "New", "-4": "Assess", "-3": "Authorize", "-2": "Scheduled", "-1": "Implement",
	"0": "Review", "3": "Closed", "4": "Canceled",
}

// Read reads the change request with this number and its approvers.
func (s *ServiceNow) Read(ctx context.Context, number string) (policy.TicketSnapshot, error) {
	if !validKey(number) {
		return policy.TicketSnapshot{}, ErrNotFound
	}
	digest := sha256.New()
	q := url.Values{}
	q.Set("sysparm_query", "number="+number)
	q.Set("sysparm_fields", "sys_id,number,state,approval,type,start_date,end_date")
	q.Set("sysparm_display_value", "all")
	q.Set("sysparm_limit", "1")
	raw, err := s.req.get(ctx, "change_request", s.base+"/api/now/table/change_request?"+q.Encode(), s.header)
	if errors.Is(err, ErrNotFound) {
		return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemServiceNow, Reason: "the Table API answered 404: is the change_request table readable?"}
	}
	if err != nil {
		return policy.TicketSnapshot{}, err
	}
	digest.Write(raw)
	snap, sysID, err := ParseServiceNowChange(raw)
	if err != nil {
		return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemServiceNow, Reason: "change_request answer does not parse: " + err.Error()}
	}
	if sysID == "" {
		return policy.TicketSnapshot{}, ErrNotFound
	}
	if snap.Key == "" {
		snap.Key = number
	}
	if !validKey(sysID) {
		return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemServiceNow, Reason: "change_request has an unexpected sys_id"}
	}
	q = url.Values{}
	q.Set("sysparm_query", "sysapproval="+sysID+"^ORDERBYsys_created_on")
	q.Set("sysparm_fields", "sys_id,approver,approver.email,state,sys_created_on,sys_updated_on")
	q.Set("sysparm_display_value", "all")
	q.Set("sysparm_limit", "100")
	raw, err = s.req.get(ctx, "sysapproval_approver", s.base+"/api/now/table/sysapproval_approver?"+q.Encode(), s.header)
	if errors.Is(err, ErrNotFound) {
		err = &UnreachableError{System: policy.SystemServiceNow, Reason: "the Table API answered 404 for sysapproval_approver"}
	}
	if err != nil {
		return policy.TicketSnapshot{}, err
	}
	digest.Write(raw)
	approvers, err := ParseServiceNowApprovers(raw)
	if err != nil {
		return policy.TicketSnapshot{}, &UnreachableError{System: policy.SystemServiceNow, Reason: "sysapproval_approver answer does not parse: " + err.Error()}
	}
	snap.Approvals[0].Approvers = approvers
	snap.Digest = "sha256:" + hex.EncodeToString(digest.Sum(nil))
	return snap, nil
}

// snField is a Table API field: a plain string, or {value, display_value} with
// sysparm_display_value=all.
type snField struct {
	Value   string
	Display string
}

func (f *snField) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f.Value, f.Display = s, ""
		return nil
	}
	var o struct {
		Value   json.RawMessage `json:"value"`
		Display json.RawMessage `json:"display_value"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return errors.New("field is neither a string nor {value, display_value}")
	}
	f.Value, f.Display = rawString(o.Value), rawString(o.Display)
	return nil
}

// rawString reads a JSON string or number; anything else is "".
func rawString(b json.RawMessage) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(b, &n) == nil {
		return n.String()
	}
	return ""
}

// shown is the display value, else the value.
func (f snField) shown() string {
	if f.Display != "" {
		return f.Display
	}
	return f.Value
}

// ParseServiceNowChange reads a change_request query answer. sysID is "" when the
// query found nothing. The snapshot has one approval step: the change's approval field.
func ParseServiceNowChange(raw []byte) (snap policy.TicketSnapshot, sysID string, err error) {
	var a struct {
		Result *[]map[string]snField `json:"result"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Result == nil {
		return snap, "", errors.New("not a Table API answer")
	}
	if len(*a.Result) == 0 {
		return snap, "", nil
	}
	r := (*a.Result)[0]
	state := r["state"]
	status := state.Display
	if status == "" {
		status = serviceNowStates[state.Value]
		if status == "" {
			status = state.Value
		}
	}
	snap = policy.TicketSnapshot{
		Key: bounded(r["number"].Value), System: policy.SystemServiceNow, Read: policy.TicketReadOK,
		Status: bounded(status), Type: bounded(strings.ToLower(r["type"].Value)),
		Approvals: []policy.TicketApproval{{Name: "change_request.approval",
			Decision: bounded(strings.ToLower(r["approval"].Value)), Approvers: []policy.TicketApprover{}}},
	}
	snap.PlannedStart, _ = parseTime(r["start_date"].Value)
	snap.PlannedEnd, _ = parseTime(r["end_date"].Value)
	return snap, r["sys_id"].Value, nil
}

// ParseServiceNowApprovers reads a sysapproval_approver query answer.
func ParseServiceNowApprovers(raw []byte) ([]policy.TicketApprover, error) {
	var a struct {
		Result *[]map[string]snField `json:"result"`
	}
	if err := json.Unmarshal(raw, &a); err != nil || a.Result == nil {
		return nil, errors.New("not a Table API answer")
	}
	out := make([]policy.TicketApprover, 0, len(*a.Result))
	for _, r := range *a.Result {
		ap := policy.TicketApprover{
			Name:     bounded(r["approver"].shown()),
			Email:    bounded(strings.ToLower(r["approver.email"].Value)),
			Decision: bounded(strings.ToLower(r["state"].Value)),
		}
		if ap.Decision != "requested" && ap.Decision != "not requested" && ap.Decision != "" {
			ap.At, _ = parseTime(r["sys_updated_on"].Value)
		}
		out = append(out, ap)
	}
	return out, nil
}
