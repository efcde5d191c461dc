package tickets_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
)

func FuzzParseJiraIssue(f *testing.F) {
	f.Add([]byte(`{"key":"PAY-1","fields":{"status":{"name":"Approved","statusCategory":{"key":"done"}},"issuetype":{"name":"Change"},"customfield_1":"2026-11-20T10:00:00.000+0000"},"names":{"customfield_1":"Planned start"}}`))
	f.Add([]byte(`{"fields":{"status":"x","customfield_1":5},"names":{"customfield_1":"Planned end"}}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := tickets.ParseJiraIssue(raw)
		if err == nil && (len(s.Status) > 200 || s.Approvals == nil || strings.ContainsAny(s.Status+s.Type, "\n\r")) {
			t.Fatalf("unbounded or nil: %+v", s)
		}
	})
}

func FuzzParseJiraApprovals(f *testing.F) {
	f.Add([]byte(`{"size":1,"isLastPage":true,"values":[{"id":"1","name":"CAB","finalDecision":"approved","approvers":[{"approver":{"displayName":"Dana","emailAddress":"D@x"},"approverDecision":"approved"}],"createdDate":{"iso8601":"2026-11-20T09:00:00+0000"},"completedDate":{"iso8601":"bad"}}]}`))
	f.Add([]byte(`{"values":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out, _, n, err := tickets.ParseJiraApprovals(raw)
		if err == nil && len(out) != n {
			t.Fatalf("%d approvals, n=%d", len(out), n)
		}
	})
}

func FuzzParseServiceNow(f *testing.F) {
	f.Add([]byte(`{"result":[{"sys_id":{"value":"abc","display_value":"abc"},"number":"CHG1","state":{"value":-2,"display_value":"Scheduled"},"approval":"approved","start_date":"2026-11-20 10:00:00"}]}`))
	f.Add([]byte(`{"result":[{"approver":{"value":"u","display_value":"Dana"},"approver.email":"d@x","state":"approved","sys_updated_on":"2026-11-20 10:02:00"}]}`))
	f.Add([]byte(`{"result":null}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if s, _, err := tickets.ParseServiceNowChange(raw); err == nil && s.Key != "" && len(s.Approvals) != 1 {
			t.Fatalf("a change request has one approval step: %+v", s)
		}
		_, _ = tickets.ParseServiceNowApprovers(raw)
	})
}

func FuzzParseWebhooks(f *testing.F) {
	f.Add(ticketstest.JiraWebhookBody("PAY-12", "Approved"))
	f.Add(ticketstest.ServiceNowHookBody("CHG0001234"))
	f.Add([]byte(`{"issue":{"key":"a/../b"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, key, err := tickets.ParseJiraWebhook(body); err == nil {
			for _, c := range key {
				if c == '/' || c == '?' || c == '^' || c == '&' {
					t.Fatalf("key %q would change a URL or query", key)
				}
			}
		}
		if n, err := tickets.ParseServiceNowWebhook(body); err == nil && n == "" {
			t.Fatal("empty number accepted")
		}
		_ = tickets.VerifyJiraSignature("s", body, string(body))
	})
}
