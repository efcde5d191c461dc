package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/tickets/ticketstest"
	"github.com/foureyes/foureyes/policy"
)

const changeWindowPolicy = `version: 1
rules:
  - name: change request
    branches: [main]
    ticket:
      pattern: 'CHG[0-9]{7}'
      in: [title]
      verify: {system: servicenow, approved: true}
deployments:
  - name: production window
    environments: [production]
    require:
      change_request: {system: servicenow, states: [Scheduled, Implement], approved: true, within_window: true}
`

// A deployment inside the change request's planned window is approved; outside it is
// rejected with the window in the reason; the snapshot read at decision time is in the
// deployment decision's facts.
func TestDeploymentInsideChangeWindow(t *testing.T) {
	snFormat := "2006-01-02 15:04:05"
	now := time.Now().UTC()
	for _, tc := range []struct {
		name       string
		start, end time.Time
		want, text string
	}{
		{"inside", now.Add(-time.Hour), now.Add(time.Hour), "approved", "inside its window"},
		{"after", now.Add(-3 * time.Hour), now.Add(-2 * time.Hour), "rejected", "is outside CHG0000071's window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sn := ticketstest.NewServiceNow(t, ticketstest.Basic)
			sn.Put(ticketstest.Change{Number: "CHG0000071", State: "-1", Approval: "approved", Type: "normal",
				Start: tc.start.Format(snFormat), End: tc.end.Format(snFormat),
				Approvers: []ticketstest.SNApprover{{Name: "Dana", Email: "dana@acme.example", State: "approved", Updated: tc.start.Format(snFormat)}}})
			h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
				c.Tickets.ServiceNow = config.ServiceNow{URL: sn.URL, Username: ticketstest.SNUser, Password: ticketstest.SNPassword}
			}))
			h.Repo.SetFile("main", ".github/foureyes.yml", changeWindowPolicy)
			pr := h.OpenPR(e2etest.PRSpec{Number: 71, Author: "alice", Title: "CHG0000071 rounding"})
			h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
			h.WaitIdle()
			sha := h.MergePR(71, "bob")
			h.WaitIdle()
			got := h.DeploymentAnswer(h.Deploy("production", sha, "erin"), "production")
			if got.State != tc.want || !strings.Contains(got.Comment, tc.text) {
				t.Fatalf("state %s, want %s with %q; comment:\n%s", got.State, tc.want, tc.text, got.Comment)
			}
			h.WaitIdle()
			recs := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: sha})
			if len(recs) != 1 {
				t.Fatalf("%d deployment decisions", len(recs))
			}
			var f policy.DeploymentFacts
			if err := json.Unmarshal(recs[0].Facts, &f); err != nil {
				t.Fatal(err)
			}
			snap := f.Tickets["CHG0000071"]
			if snap.Status != "Implement" || snap.PlannedEnd != tc.end.Truncate(time.Second).Format(time.RFC3339) || f.At == "" || !strings.HasPrefix(snap.Digest, "sha256:") {
				t.Errorf("recorded facts: at %q, snapshot %+v", f.At, snap)
			}
		})
	}
}

// ServiceNow down for the first reads: the gate reads again with backoff and decides on
// the answer it finally gets; down for good: rejected as pending, never approved.
func TestDeploymentChangeRequestUnreachable(t *testing.T) {
	now := time.Now().UTC()
	t.Parallel()
	for _, tc := range []struct {
		name      string
		recoverAt int64 // the fake answers from this request on (0: never)
		want      string
	}{
		{"recovers while the gate retries", 3, "approved"},
		{"stays down", 0, "rejected"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sn := ticketstest.NewServiceNow(t, ticketstest.Basic)
			sn.Put(ticketstest.Change{Number: "CHG0000072", State: "-1", Approval: "approved", Type: "normal",
				Start: now.Add(-time.Hour).Format("2006-01-02 15:04:05"), End: now.Add(time.Hour).Format("2006-01-02 15:04:05")})
			h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) {
				c.Tickets.ServiceNow = config.ServiceNow{URL: sn.URL, Username: ticketstest.SNUser, Password: ticketstest.SNPassword}
			}))
			h.Repo.SetFile("main", ".github/foureyes.yml", changeWindowPolicy)
			pr := h.OpenPR(e2etest.PRSpec{Number: 72, Author: "alice", Title: "CHG0000072 rounding"})
			h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
			h.WaitIdle()
			sha := h.MergePR(72, "bob")
			h.WaitIdle()
			sn.Fail(503)
			base := sn.Requests()
			if tc.recoverAt > 0 {
				go func() {
					e2etest.Eventually(t, 60*time.Second, "gate retried", func() bool { return sn.Requests() >= base+tc.recoverAt*3 })
					sn.Fail(0)
				}()
			}
			got := h.DeploymentAnswer(h.Deploy("production", sha, "erin"), "production")
			if got.State != tc.want {
				t.Fatalf("state %s, want %s; comment:\n%s", got.State, tc.want, got.Comment)
			}
			if tc.want == "rejected" && !strings.Contains(got.Comment, "ServiceNow unreachable") {
				t.Errorf("comment:\n%s", got.Comment)
			}
		})
	}
}
