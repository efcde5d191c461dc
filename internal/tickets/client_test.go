package tickets_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
	"github.com/foureyes/foureyes/policy"
)

var fastRetry = tickets.Retry{Attempts: 3, BaseDelay: time.Millisecond}

func jiraClient(t *testing.T, fake *ticketstest.Jira, m *tickets.Metrics) *tickets.Jira {
	t.Helper()
	cfg := tickets.JiraConfig{URL: fake.URL, API: fake.Flavour, Retry: fastRetry, Timeout: 2 * time.Second, Metrics: m}
	if fake.Flavour == ticketstest.DataCenter {
		cfg.PAT = ticketstest.JiraPAT
	} else {
		cfg.Email, cfg.Token = ticketstest.JiraEmail, ticketstest.JiraToken
	}
	j, err := tickets.NewJira(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func approvedIssue(key string) ticketstest.Issue {
	return ticketstest.Issue{Key: key, Status: "Approved", StatusCategory: "indeterminate", Type: "Change",
		PlannedStart: "2026-11-20T10:00:00.000+0000", PlannedEnd: "2026-11-20T18:00:00.000+0100",
		Approvals: []ticketstest.Approval{{Name: "Change manager", FinalDecision: "approved",
			Created: "2026-11-20T09:00:00+0000", Completed: "2026-11-20T10:02:00+0000",
			Approvers: []ticketstest.Approver{{Name: "Dana", Email: "Dana@acme.example", Decision: "approved"}}}}}
}

func TestJiraRead(t *testing.T) {
	for _, flavour := range []string{ticketstest.Cloud, ticketstest.DataCenter} {
		t.Run(flavour, func(t *testing.T) {
			fake := ticketstest.NewJira(t, flavour)
			fake.Put(approvedIssue("PAY-12"))
			fake.Put(ticketstest.Issue{Key: "PAY-13", Status: "To Do", StatusCategory: "new", Type: "Task"})
			svc := tickets.NewService(tickets.Options{Users: map[string]string{"dana@acme.example": "dana"}}, jiraClient(t, fake, nil))
			ctx := context.Background()

			s := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
			if s.Read != policy.TicketReadOK || s.Status != "Approved" || s.StatusCategory != "indeterminate" || s.Type != "Change" {
				t.Fatalf("PAY-12 = %+v", s)
			}
			if s.PlannedStart != "2026-11-20T10:00:00Z" || s.PlannedEnd != "2026-11-20T17:00:00Z" {
				t.Errorf("window = %s .. %s", s.PlannedStart, s.PlannedEnd)
			}
			if len(s.Approvals) != 1 || s.Approvals[0].Decision != "approved" || s.Approvals[0].CompletedAt != "2026-11-20T10:02:00Z" {
				t.Fatalf("approvals = %+v", s.Approvals)
			}
			a := s.Approvals[0].Approvers[0]
			if a.Email != "dana@acme.example" || a.Login != "dana" || a.Decision != "approved" || a.At != "2026-11-20T10:02:00Z" {
				t.Errorf("approver = %+v", a)
			}
			if !strings.HasPrefix(s.Digest, "sha256:") || len(s.Digest) != 7+64 {
				t.Errorf("digest = %q", s.Digest)
			}

			plain := svc.Snapshot(ctx, policy.SystemJira, "PAY-13")
			if plain.Read != policy.TicketReadOK || len(plain.Approvals) != 0 || plain.StatusCategory != "new" {
				t.Errorf("PAY-13 (no JSM approvals) = %+v", plain)
			}
			if missing := svc.Snapshot(ctx, policy.SystemJira, "PAY-404"); missing.Read != policy.TicketReadNotFound {
				t.Errorf("PAY-404 = %+v", missing)
			}
			if bad := svc.Snapshot(ctx, policy.SystemJira, "PAY-1?x=1"); bad.Read != policy.TicketReadNotFound {
				t.Errorf("a key with URL syntax must not be sent: %+v", bad)
			}
		})
	}
}

func TestJiraDataCenterNeedsItsAPI(t *testing.T) {
	// A Data Center site has no REST v3: a client configured for Cloud finds nothing there,
	// which is why `api: v2` exists.
	fake := ticketstest.NewJira(t, ticketstest.DataCenter)
	fake.Put(approvedIssue("PAY-12"))
	j, err := tickets.NewJira(tickets.JiraConfig{URL: fake.URL, PAT: ticketstest.JiraPAT, Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	if s := tickets.NewService(tickets.Options{}, j).Snapshot(context.Background(), policy.SystemJira, "PAY-12"); s.Read != policy.TicketReadNotFound {
		t.Errorf("v3 against Data Center = %+v", s)
	}
}

func TestJiraCache(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	svc := tickets.NewService(tickets.Options{CacheTTL: time.Hour, Now: func() time.Time { return now }}, jiraClient(t, fake, nil))
	ctx := context.Background()
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	n := fake.Requests()
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	if fake.Requests() != n {
		t.Errorf("second read within the TTL asked Jira again")
	}
	svc.Forget(policy.SystemJira, "PAY-12")
	svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	if fake.Requests() == n {
		t.Errorf("a forgotten ticket was not read again")
	}
}

func TestJiraUnreachableThenRecovers(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := tickets.NewMetrics(reg)
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	var logs strings.Builder
	svc := tickets.NewService(tickets.Options{Log: zerolog.New(&logs)}, jiraClient(t, fake, m))
	ctx := context.Background()

	fake.Fail(http.StatusServiceUnavailable)
	s := svc.Snapshot(ctx, policy.SystemJira, "PAY-12")
	if s.Read != policy.TicketReadUnreachable || s.Error != "HTTP 503" {
		t.Fatalf("503 = %+v", s)
	}
	if got := testutil.ToFloat64(m.Requests.WithLabelValues("jira", "issue", "503")); got != 3 {
		t.Errorf("503s counted = %v, want 3 (retried)", got)
	}
	fake.Fail(0)
	if s := svc.Snapshot(ctx, policy.SystemJira, "PAY-12"); s.Read != policy.TicketReadOK {
		t.Fatalf("after recovery = %+v (an unreachable answer must not be cached)", s)
	}
	if strings.Contains(logs.String(), "configuration error") {
		t.Errorf("a 503 is not a configuration error: %s", logs.String())
	}
}

func TestJiraTimeout(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	fake.Delay(time.Second)
	j, err := tickets.NewJira(tickets.JiraConfig{URL: fake.URL, Email: ticketstest.JiraEmail, Token: ticketstest.JiraToken,
		Timeout: 50 * time.Millisecond, Retry: tickets.Retry{Attempts: 2, BaseDelay: time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	s := tickets.NewService(tickets.Options{}, j).Snapshot(context.Background(), policy.SystemJira, "PAY-12")
	if s.Read != policy.TicketReadUnreachable || s.Error != "timeout" {
		t.Fatalf("slow Jira = %+v", s)
	}
}

func TestAuthErrorLoggedOnce(t *testing.T) {
	fake := ticketstest.NewJira(t, ticketstest.Cloud)
	fake.Put(approvedIssue("PAY-12"))
	j, err := tickets.NewJira(tickets.JiraConfig{URL: fake.URL, Email: ticketstest.JiraEmail, Token: "wrong-token", Retry: fastRetry})
	if err != nil {
		t.Fatal(err)
	}
	var logs strings.Builder
	svc := tickets.NewService(tickets.Options{Log: zerolog.New(&logs)}, j)
	for i := 0; i < 3; i++ {
		s := svc.Snapshot(context.Background(), policy.SystemJira, "PAY-12")
		if s.Read != policy.TicketReadUnreachable || !strings.Contains(s.Error, "HTTP 401") {
			t.Fatalf("401 = %+v", s)
		}
	}
	if n := strings.Count(logs.String(), "configuration error"); n != 1 {
		t.Errorf("configuration error logged %d times, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "wrong-token") {
		t.Errorf("the token leaked into the log")
	}
	fake.Fail(http.StatusForbidden)
	if s := svc.Snapshot(context.Background(), policy.SystemJira, "PAY-12"); s.Read != policy.TicketReadUnreachable {
		t.Errorf("403 = %+v", s)
	}
}

func snClient(t *testing.T, fake *ticketstest.ServiceNow, secret string) *tickets.ServiceNow {
	t.Helper()
	cfg := tickets.ServiceNowConfig{URL: fake.URL, Retry: fastRetry, Timeout: 2 * time.Second}
	if fake.Mode == ticketstest.OAuth {
		cfg.ClientID, cfg.ClientSecret = ticketstest.SNClientID, secret
	} else {
		cfg.Username, cfg.Password = ticketstest.SNUser, secret
	}
	c, err := tickets.NewServiceNow(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func scheduledChange(number string) ticketstest.Change {
	return ticketstest.Change{Number: number, State: "-2", Approval: "approved", Type: "normal",
		Start: "2026-11-20 10:00:00", End: "2026-11-20 18:00:00",
		Approvers: []ticketstest.SNApprover{{Name: "Dana Scully", Email: "dana@acme.example", State: "approved", Updated: "2026-11-20 10:02:00"},
			{Name: "Erin Ops", Email: "erin@acme.example", State: "not_required", Updated: "2026-11-20 09:00:00"}}}
}

func TestServiceNowRead(t *testing.T) {
	for _, mode := range []string{ticketstest.Basic, ticketstest.OAuth} {
		t.Run(mode, func(t *testing.T) {
			fake := ticketstest.NewServiceNow(t, mode)
			fake.Put(scheduledChange("CHG0001234"))
			secret := ticketstest.SNPassword
			if mode == ticketstest.OAuth {
				secret = ticketstest.SNClientSecret
			}
			svc := tickets.NewService(tickets.Options{Users: map[string]string{"dana@acme.example": "dana"}}, snClient(t, fake, secret))
			ctx := context.Background()
			s := svc.Snapshot(ctx, policy.SystemServiceNow, "CHG0001234")
			if s.Read != policy.TicketReadOK || s.Status != "Scheduled" || s.Type != "normal" {
				t.Fatalf("CHG0001234 = %+v", s)
			}
			if s.PlannedStart != "2026-11-20T10:00:00Z" || s.PlannedEnd != "2026-11-20T18:00:00Z" {
				t.Errorf("window = %s .. %s", s.PlannedStart, s.PlannedEnd)
			}
			if len(s.Approvals) != 1 || s.Approvals[0].Decision != "approved" || len(s.Approvals[0].Approvers) != 2 {
				t.Fatalf("approvals = %+v", s.Approvals)
			}
			if a := s.Approvals[0].Approvers[0]; a.Name != "Dana Scully" || a.Login != "dana" || a.At != "2026-11-20T10:02:00Z" {
				t.Errorf("approver = %+v", a)
			}
			if missing := svc.Snapshot(ctx, policy.SystemServiceNow, "CHG0009999"); missing.Read != policy.TicketReadNotFound {
				t.Errorf("unknown change = %+v", missing)
			}
			if injected := svc.Snapshot(ctx, policy.SystemServiceNow, "CHG1^ORnumber!=x"); injected.Read != policy.TicketReadNotFound {
				t.Errorf("a key with query syntax must not be sent: %+v", injected)
			}
			if mode == ticketstest.OAuth && fake.TokensIssued() != 1 {
				t.Errorf("tokens issued = %d, want 1 (reused)", fake.TokensIssued())
			}
		})
	}
}

func TestServiceNowBadCredentials(t *testing.T) {
	for _, mode := range []string{ticketstest.Basic, ticketstest.OAuth} {
		t.Run(mode, func(t *testing.T) {
			fake := ticketstest.NewServiceNow(t, mode)
			fake.Put(scheduledChange("CHG0001234"))
			var logs strings.Builder
			svc := tickets.NewService(tickets.Options{Log: zerolog.New(&logs)}, snClient(t, fake, "wrong"))
			s := svc.Snapshot(context.Background(), policy.SystemServiceNow, "CHG0001234")
			if s.Read != policy.TicketReadUnreachable {
				t.Fatalf("bad credentials = %+v", s)
			}
			svc.Snapshot(context.Background(), policy.SystemServiceNow, "CHG0001234")
			if n := strings.Count(logs.String(), "configuration error"); n != 1 {
				t.Errorf("configuration error logged %d times:\n%s", n, logs.String())
			}
		})
	}
}

func TestServiceNowOutageThenRecovery(t *testing.T) {
	fake := ticketstest.NewServiceNow(t, ticketstest.OAuth)
	fake.Put(scheduledChange("CHG0001234"))
	svc := tickets.NewService(tickets.Options{}, snClient(t, fake, ticketstest.SNClientSecret))
	fake.Fail(http.StatusBadGateway)
	if s := svc.Snapshot(context.Background(), policy.SystemServiceNow, "CHG0001234"); s.Read != policy.TicketReadUnreachable {
		t.Fatalf("502 = %+v", s)
	}
	fake.Fail(0)
	if s := svc.Snapshot(context.Background(), policy.SystemServiceNow, "CHG0001234"); s.Read != policy.TicketReadOK {
		t.Fatalf("after recovery = %+v", s)
	}
}

func TestNotConfigured(t *testing.T) {
	s := tickets.NewService(tickets.Options{}).Snapshot(context.Background(), policy.SystemServiceNow, "CHG0001234")
	if s.Read != policy.TicketReadUnreachable || !strings.Contains(s.Error, "not configured") {
		t.Errorf("unconfigured system = %+v", s)
	}
}

func TestConfigErrors(t *testing.T) {
	if _, err := tickets.NewJira(tickets.JiraConfig{URL: "https://x.example"}); err == nil {
		t.Error("Jira without credentials accepted")
	}
	if _, err := tickets.NewJira(tickets.JiraConfig{URL: "https://x.example", API: "v9", PAT: "p"}); err == nil {
		t.Error("api v9 accepted")
	}
	if _, err := tickets.NewJira(tickets.JiraConfig{URL: "ftp://x", PAT: "p"}); err == nil {
		t.Error("ftp URL accepted")
	}
	if _, err := tickets.NewServiceNow(tickets.ServiceNowConfig{URL: "https://x.example", Username: "u"}); err == nil {
		t.Error("ServiceNow without a password accepted")
	}
}
