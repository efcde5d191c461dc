package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/evidence"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
	"github.com/foureyes/foureyes/policy"
)

const jiraVerifyPolicy = `version: 1
rules:
  - name: change ticket
    branches: [main]
    ticket:
      pattern: '[A-Z][A-Z0-9]+-[0-9]+'
      in: [title, branch]
      verify:
        system: jira
        statuses: [Approved, "In Progress"]
        approved: true
        independent_approver: true
`

const serviceNowVerifyPolicy = `version: 1
rules:
  - name: change request
    branches: [main]
    ticket:
      pattern: 'CHG[0-9]{7}'
      in: [title]
      verify: {system: servicenow, statuses: [Scheduled, Implement], approved: true}
`

const jiraHookSecret = "jira-hook-secret"

func pendingIssue(key string) ticketstest.Issue {
	return ticketstest.Issue{Key: key, Status: "In Progress", StatusCategory: "indeterminate", Type: "Change",
		Approvals: []ticketstest.Approval{{Name: "Change manager", FinalDecision: "pending", Created: "2026-11-20T09:00:00+0000",
			Approvers: []ticketstest.Approver{{Name: "Dana", Email: "dana@acme.example", Decision: "pending"}}}}}
}

func approve(i *ticketstest.Issue) {
	i.Status = "Approved"
	i.Approvals[0].FinalDecision, i.Approvals[0].Completed = "approved", "2026-11-20T10:02:00+0000"
	i.Approvals[0].Approvers[0].Decision = "approved"
}

func jiraHarness(t *testing.T, jira *ticketstest.Jira, poll time.Duration, opts ...e2etest.Option) *e2etest.Harness {
	h := e2etest.Start(t, append(opts, e2etest.WithConfig(func(c *config.Config) {
		c.Tickets.Jira = config.Jira{URL: jira.URL, API: jira.Flavour, WebhookSecret: jiraHookSecret}
		if jira.Flavour == ticketstest.DataCenter {
			c.Tickets.Jira.PAT = ticketstest.JiraPAT
		} else {
			c.Tickets.Jira.Email, c.Tickets.Jira.Token = ticketstest.JiraEmail, ticketstest.JiraToken
		}
		c.Tickets.Users = map[string]string{"dana@acme.example": "dana"}
		c.Tickets.PollInterval = config.Duration(poll)
	}))...)
	h.Repo.SetFile("main", ".github/foureyes.yml", jiraVerifyPolicy)
	return h
}

func lastDecisionFacts(t *testing.T, h *e2etest.Harness, pr int) policy.Facts {
	t.Helper()
	var last store.Record
	err := h.Store.Query(context.Background(), store.Filter{Kinds: []store.Kind{store.KindPRDecision}}, func(r store.Record) error {
		if r.PR == pr {
			last = r
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var f policy.Facts
	if err := json.Unmarshal(last.Facts, &f); err != nil {
		t.Fatalf("facts of record %d: %v", last.Seq, err)
	}
	return f
}

// A ticket approved in Jira after the PR was opened turns the check green through the
// signed webhook, with no GitHub event; a forged webhook changes nothing.
func TestJiraApprovalLaterTurnsCheckGreenByWebhook(t *testing.T) {
	for _, flavour := range []string{ticketstest.Cloud, ticketstest.DataCenter} {
		t.Run(flavour, func(t *testing.T) {
			jira := ticketstest.NewJira(t, flavour)
			jira.Put(pendingIssue("PAY-61"))
			h := jiraHarness(t, jira, time.Hour) // polling out of the way: only the webhook can do it
			pr := h.OpenPR(e2etest.PRSpec{Number: 61, Author: "alice"})
			run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
			if !strings.Contains(run.Output.Title, "PAY-61 is not approved (pending)") {
				t.Fatalf("title %q", run.Output.Title)
			}
			decisions := countRecords(t, h, store.KindPRDecision)

			jira.Update("PAY-61", approve)
			body := ticketstest.JiraWebhookBody("PAY-61", "Approved")
			if code := ticketstest.SendJiraWebhook(t, h.URL()+"/api/jira/hook", "not-the-secret", body); code != http.StatusUnauthorized {
				t.Fatalf("forged Jira webhook: %d, want 401", code)
			}
			if n := countRecords(t, h, store.KindPRDecision); n != decisions {
				t.Fatalf("a forged webhook caused %d evaluations", n-decisions)
			}

			if code := ticketstest.SendJiraWebhook(t, h.URL()+"/api/jira/hook", jiraHookSecret, body); code != http.StatusAccepted {
				t.Fatalf("signed Jira webhook: %d", code)
			}
			run = h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
			f := lastDecisionFacts(t, h, 61)
			snap := f.Tickets["PAY-61"]
			if snap.Status != "Approved" || !strings.HasPrefix(snap.Digest, "sha256:") || snap.Approvals[0].Approvers[0].Login != "dana" {
				t.Errorf("recorded snapshot = %+v", snap)
			}
			if text := run.Output.Summary + run.Output.Text + run.Output.Title; !strings.Contains(text, "PAY-61 is Approved, approved by dana at 2026-11-20 10:02") {
				t.Errorf("check run lacks the evidence:\n%s", text)
			}
			assertSnapshotInEvidence(t, h, 61, snap.Digest)
		})
	}
}

// The ticket's approver wrote the code: the check fails with that reason.
func TestJiraApprovedByAuthorFails(t *testing.T) {
	jira := ticketstest.NewJira(t, ticketstest.Cloud)
	is := pendingIssue("PAY-62")
	approve(&is)
	jira.Put(is)
	h := jiraHarness(t, jira, time.Hour)
	pr := h.OpenPR(e2etest.PRSpec{Number: 62, Author: "alice", Commits: []githubtest.Commit{{SHA: e2etest.SHA("pr62-c1"), Author: "dana", Committer: "dana", Message: "change"}}})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "PAY-62 was approved by dana, who authored commits of this change") {
		t.Errorf("title %q", run.Output.Title)
	}
}

// Jira down: pending with "Jira unreachable, retrying", never green; when it is back the
// retry (the Watcher's poll with backoff) turns the check green without a GitHub event.
func TestJiraOutageIsPendingThenRecovers(t *testing.T) {
	jira := ticketstest.NewJira(t, ticketstest.Cloud)
	is := pendingIssue("PAY-63")
	approve(&is)
	jira.Put(is)
	jira.Fail(http.StatusServiceUnavailable)
	h := jiraHarness(t, jira, 200*time.Millisecond)
	pr := h.OpenPR(e2etest.PRSpec{Number: 63, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if run.Output.Title != "Jira unreachable, retrying" {
		t.Fatalf("title %q", run.Output.Title)
	}
	// Retried: Jira keeps being asked while it is down.
	asked := jira.Requests()
	e2etest.Eventually(t, 60*time.Second, "Jira asked again", func() bool { return jira.Requests() > asked })
	for _, c := range h.GH.OwnCheckRuns(e2etest.Owner + "/" + e2etest.RepoName) {
		if c.HeadSHA == pr.HeadSHA && c.Conclusion == "success" {
			t.Fatal("green while Jira was unreachable")
		}
	}
	jira.Fail(0)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}

// ServiceNow sends no webhook here: polling notices the approval and turns the check green.
func TestServiceNowApprovalLaterTurnsCheckGreenByPolling(t *testing.T) {
	sn := ticketstest.NewServiceNow(t, ticketstest.OAuth)
	sn.Put(ticketstest.Change{Number: "CHG0000064", State: "-3", Approval: "requested", Type: "normal",
		Approvers: []ticketstest.SNApprover{{Name: "Dana", Email: "dana@acme.example", State: "requested"}}})
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
		c.Tickets.ServiceNow = config.ServiceNow{URL: sn.URL, ClientID: ticketstest.SNClientID, ClientSecret: ticketstest.SNClientSecret,
			WebhookSecret: ticketstest.SNHookSecret}
		c.Tickets.PollInterval = config.Duration(200 * time.Millisecond)
	}))
	h.Repo.SetFile("main", ".github/foureyes.yml", serviceNowVerifyPolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 64, Author: "alice", Title: "CHG0000064 rounding"})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "CHG0000064 is Authorize, not Scheduled or Implement") {
		t.Fatalf("title %q", run.Output.Title)
	}
	sn.Update("CHG0000064", func(c *ticketstest.Change) {
		c.State, c.Approval = "-2", "approved"
		c.Approvers[0].State, c.Approvers[0].Updated = "approved", "2026-11-20 10:02:00"
	})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	if code := ticketstest.SendServiceNowHook(t, h.URL()+"/api/servicenow/hook", "guess", ticketstest.ServiceNowHookBody("CHG0000064")); code != http.StatusUnauthorized {
		t.Errorf("ServiceNow hook with a wrong secret: %d", code)
	}
}

// assertSnapshotInEvidence checks that the ticket snapshot (by its digest) is in the
// change's audit trace and in its evidence package.
func assertSnapshotInEvidence(t *testing.T, h *e2etest.Harness, pr int, digest string) {
	t.Helper()
	src, ok := h.Store.(store.ChainReader)
	if !ok {
		t.Fatal("store has no chain reader")
	}
	trace, err := audit.Trace(context.Background(), src, audit.TraceQuery{Repo: e2etest.Owner + "/" + e2etest.RepoName, PR: pr})
	if err != nil {
		t.Fatal(err)
	}
	inTrace := false
	for _, c := range trace {
		inTrace = inTrace || strings.Contains(string(c.Facts), digest)
	}
	if !inTrace {
		t.Errorf("the trace of #%d holds no facts with the ticket digest %s", pr, digest)
	}
	var buf bytes.Buffer
	if err := evidence.WritePackage(context.Background(), &buf, src, evidence.ChangeQuery{Repo: e2etest.Owner + "/" + e2etest.RepoName, PR: pr}, evidence.PackageOptions{}); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(b, []byte(digest)) {
			return
		}
	}
	t.Errorf("the evidence package of #%d does not hold the ticket digest %s", pr, digest)
}

// After a restart the index of which PRs reference which ticket is read back from the
// store (SQLite and PostgreSQL): a Jira webhook still turns the check green.
func TestJiraWebhookAfterRestart(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) { jiraWebhookAfterRestart(t, storetest.New(t, backend).DSN) })
	}
}

func jiraWebhookAfterRestart(t *testing.T, dsn string) {
	jira := ticketstest.NewJira(t, ticketstest.Cloud)
	jira.Put(pendingIssue("PAY-65"))
	h := jiraHarness(t, jira, time.Hour, e2etest.WithDSN(dsn))
	pr := h.OpenPR(e2etest.PRSpec{Number: 65, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	h.WaitIdle()
	h.Restart()
	jira.Update("PAY-65", approve)
	if code := ticketstest.SendJiraWebhook(t, h.URL()+"/api/jira/hook", jiraHookSecret, ticketstest.JiraWebhookBody("PAY-65", "Approved")); code != http.StatusAccepted {
		t.Fatalf("signed Jira webhook: %d", code)
	}
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}

// Wrong Jira credentials: pending (never green), one configuration error in the log, no
// secret in it; the requests are counted in the metrics.
func TestJiraBadCredentialsArePendingAndLoggedOnce(t *testing.T) {
	jira := ticketstest.NewJira(t, ticketstest.Cloud)
	is := pendingIssue("PAY-66")
	approve(&is)
	jira.Put(is)
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
		c.Tickets.Jira = config.Jira{URL: jira.URL, API: "v3", Email: ticketstest.JiraEmail, Token: "wrong-secret-token", WebhookSecret: jiraHookSecret}
		c.Tickets.PollInterval = config.Duration(100 * time.Millisecond)
	}))
	h.Repo.SetFile("main", ".github/foureyes.yml", jiraVerifyPolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 66, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if run.Output.Title != "Jira unreachable, retrying" {
		t.Fatalf("title %q", run.Output.Title)
	}
	asked := jira.Requests()
	e2etest.Eventually(t, 60*time.Second, "Jira asked again", func() bool { return jira.Requests() >= asked+2 })
	logs := h.LogText()
	if n := strings.Count(logs, "ticket system configuration error"); n != 1 {
		t.Errorf("configuration error logged %d times, want once", n)
	}
	if strings.Contains(logs, "wrong-secret-token") || strings.Contains(logs, jiraHookSecret) {
		t.Error("a secret is in the log")
	}
	m := metricsText(t, h)
	if !strings.Contains(m, `foureyes_ticket_requests_total{endpoint="issue",status="401",system="jira"}`) {
		t.Errorf("401s not counted:\n%s", grep(m, "foureyes_ticket"))
	}
}

// A ServiceNow outbound REST message with the shared secret turns the check green at once.
func TestServiceNowHookTurnsCheckGreen(t *testing.T) {
	sn := ticketstest.NewServiceNow(t, ticketstest.Basic)
	sn.Put(ticketstest.Change{Number: "CHG0000067", State: "-2", Approval: "requested", Type: "normal"})
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
		c.Tickets.ServiceNow = config.ServiceNow{URL: sn.URL, Username: ticketstest.SNUser, Password: ticketstest.SNPassword,
			WebhookSecret: ticketstest.SNHookSecret}
		c.Tickets.PollInterval = config.Duration(time.Hour) // only the message can do it
	}))
	h.Repo.SetFile("main", ".github/foureyes.yml", serviceNowVerifyPolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 67, Author: "alice", Title: "CHG0000067 rounding"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	sn.Update("CHG0000067", func(c *ticketstest.Change) { c.Approval = "approved" })
	if code := ticketstest.SendServiceNowHook(t, h.URL()+"/api/servicenow/hook", ticketstest.SNHookSecret, ticketstest.ServiceNowHookBody("CHG0000067")); code != http.StatusAccepted {
		t.Fatalf("ServiceNow hook: %d", code)
	}
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	if !strings.Contains(run.Output.Title+run.Output.Summary+run.Output.Text, "CHG0000067 is Scheduled") {
		t.Errorf("check run: %+v", run.Output)
	}
}
