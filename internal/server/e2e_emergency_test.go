package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// emergencyPolicy is the strict policy with a break-glass for incident commanders.
const emergencyPolicy = e2etest.StrictPolicy + `    emergency:
      declared_by: {teams: [acme/incident-commanders]}
      ticket: {pattern: 'INC-[0-9]+'}
      still_required: [checks]
      review_within: 72h
`

func emergencyHarness(t *testing.T) *e2etest.Harness {
	h := strictHarness(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", emergencyPolicy)
	h.Repo.SetPermission("ivan", "write")
	h.GH.SetTeamMembers("acme", "incident-commanders", "ivan")
	return h
}

func TestEmergencyDeclaredByIncidentCommanderPassesWithGreenChecks(t *testing.T) {
	h := emergencyHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 1, Author: "alice", Title: "hotfix payments"})
	h.PassBuild(pr.HeadSHA)
	// No approval and no change ticket: failing, until the emergency waives both.
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	c := h.Comment(1, "ivan", "/foureyes emergency INC-4711 payments are down")
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	for _, want := range []string{"emergency change INC-4711 declared by ivan: independent review due by"} {
		if !strings.Contains(run.Output.Title+run.Output.Text, want) {
			t.Errorf("check run lacks %q:\n%s\n%s", want, run.Output.Title, run.Output.Text)
		}
	}
	wantDue := c.CreatedAt.Add(72 * time.Hour).UTC().Format(time.RFC3339)
	if !strings.Contains(run.Output.Title, wantDue) {
		t.Errorf("title %q does not give the review deadline %s", run.Output.Title, wantDue)
	}
	h.Reply(1, "emergency change INC-4711 declared by ivan")
	recs := h.Records(store.Filter{Repo: "acme/payments", PR: 1, Kinds: []store.Kind{store.KindEmergency}})
	if len(recs) != 1 || recs[0].Actor != "ivan" || recs[0].SHA != pr.HeadSHA {
		t.Fatalf("emergency records = %+v, want one by ivan on %s", recs, pr.HeadSHA)
	}
	var d policy.Declaration
	if err := json.Unmarshal(recs[0].Facts, &d); err != nil || d.Reference != "INC-4711" || d.Reason != "payments are down" {
		t.Fatalf("declaration recorded as %+v (%v)", d, err)
	}
	// The decision names the declaration, so `policy eval` re-derives it from the record.
	last := h.Records(store.Filter{Repo: "acme/payments", PR: 1, Kinds: []store.Kind{store.KindPRDecision}})
	var f policy.Facts
	if err := json.Unmarshal(last[len(last)-1].Facts, &f); err != nil || len(f.Emergency) != 1 {
		t.Fatalf("decision facts lack the declaration: %v %+v", err, f.Emergency)
	}
	p, err := policy.Parse("p.yml", []byte(emergencyPolicy))
	if err != nil {
		t.Fatal(err)
	}
	var got, want bytes.Buffer
	_ = json.Compact(&got, policy.Evaluate(p, f).JSON())
	_ = json.Compact(&want, last[len(last)-1].Decision)
	if got.String() != want.String() {
		t.Errorf("recorded decision is not re-derived from its facts:\n%s\nvs\n%s", got.String(), want.String())
	}
	// A retried delivery of the same comment adds no second declaration.
	h.Send("issue_comment", githubtest.IssueCommentEvent("created", h.Repo, h.Repo.PR(1), c))
	h.WaitIdle()
	if n := len(h.Records(store.Filter{Repo: "acme/payments", PR: 1, Kinds: []store.Kind{store.KindEmergency}})); n != 1 {
		t.Errorf("%d emergency records after a redelivery, want 1", n)
	}
}

func TestEmergencyDoesNotWaiveAFailedCheck(t *testing.T) {
	h := emergencyHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 2, Author: "alice"})
	h.CompleteCheck(pr.HeadSHA, "build", "github-actions", 15368, "failure")
	h.Comment(2, "ivan", "/foureyes emergency INC-1 db down")
	// The run already failed before the comment: wait for the evaluation that read it.
	run := h.CheckRun(pr.HeadSHA, func(c githubtest.CheckRun) bool {
		return strings.Contains(c.Output.Text, "emergency change INC-1 declared by ivan")
	})
	if run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("with a failed check and an emergency: %s/%s, want completed/failure", run.Status, run.Conclusion)
	}
}

func TestEmergencyRefusals(t *testing.T) {
	for _, tt := range []struct {
		name, by, body, want string
	}{
		{"author without allow_author", "alice", "/foureyes emergency INC-9 I am on call", "alice is the author of the pull request"},
		{"without reference", "ivan", "/foureyes emergency", "an incident reference is required"},
		{"reference of the wrong form", "ivan", "/foureyes emergency PAY-9 down", "does not match INC-[0-9]+"},
		{"not an incident commander", "bob", "/foureyes emergency INC-9 down", "bob is not in acme/incident-commanders"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := emergencyHarness(t)
			pr := h.OpenPR(e2etest.PRSpec{Number: 3, Author: "alice"})
			h.PassBuild(pr.HeadSHA)
			h.Comment(3, tt.by, tt.body)
			reply := h.Reply(3, "refused")
			if !strings.Contains(reply, tt.want) {
				t.Errorf("reply %q does not say %q", reply, tt.want)
			}
			h.WaitIdle()
			run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
			if !strings.Contains(run.Output.Text, tt.want) {
				t.Errorf("check run text does not say %q:\n%s", tt.want, run.Output.Text)
			}
		})
	}
}

func TestEmergencyOnRuleWithoutEmergencySectionRefused(t *testing.T) {
	h := strictHarness(t)
	h.Repo.SetPermission("ivan", "write")
	pr := h.OpenPR(e2etest.PRSpec{Number: 4, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Comment(4, "ivan", "/foureyes emergency INC-4 down")
	if reply := h.Reply(4, "refused"); !strings.Contains(reply, "has no emergency section") {
		t.Errorf("reply %q", reply)
	}
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
}

func TestPushAfterEmergencyNeedsApprovalAgain(t *testing.T) {
	h := emergencyHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 5, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Comment(5, "ivan", "/foureyes emergency INC-5 down")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	pr = h.Push(5, "alice", githubtest.Commit{SHA: e2etest.SHA("pr5-c2"), Author: "alice", Committer: "alice", Message: "more"})
	h.PassBuild(pr.HeadSHA)
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Text, "needs a new declaration") {
		t.Errorf("text does not say the declaration no longer applies:\n%s", run.Output.Text)
	}
}

func TestEmergencyReviewAfterTheFact(t *testing.T) {
	h := emergencyHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 6, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Comment(6, "ivan", "/foureyes emergency INC-6 down")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.MergePR(6, "alice")
	pr7 := h.OpenPR(e2etest.PRSpec{Number: 7, Author: "carol"})
	h.PassBuild(pr7.HeadSHA)
	h.Comment(7, "ivan", "/foureyes emergency INC-7 down too")
	h.CheckRun(pr7.HeadSHA, e2etest.Concluded("success"))
	h.MergePR(7, "carol")
	h.WaitIdle()

	ctx := context.Background()
	xs, err := audit.Exceptions(ctx, h.Store, audit.ExceptionQuery{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(xs) != 2 || xs[0].Status != audit.ExceptionOpen || xs[0].Reference != "INC-6" {
		t.Fatalf("exceptions right after the merges = %+v, want two open emergency reviews", xs)
	}
	// The author's own approval is no independent review: the obligation stays open.
	h.Approve(6, "alice")
	h.WaitIdle()
	if n := len(h.Records(store.Filter{Repo: "acme/payments", Kinds: []store.Kind{store.KindPIR}})); n != 0 {
		t.Fatalf("%d pir records after the author's approval, want 0", n)
	}
	h.Approve(6, "bob")
	h.WaitIdle()
	pirs := h.Records(store.Filter{Repo: "acme/payments", Kinds: []store.Kind{store.KindPIR}})
	if len(pirs) != 1 || pirs[0].PR != 6 || pirs[0].Actor != "bob" {
		t.Fatalf("pir records = %+v, want one for #6 by bob", pirs)
	}
	// Three days and a minute later #7 is overdue, #6 closed.
	later := time.Now().Add(72*time.Hour + time.Minute)
	xs, err = audit.Exceptions(ctx, h.Store, audit.ExceptionQuery{Now: later})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, x := range xs {
		got[x.PR] = x.Status
	}
	if got[6] != audit.ExceptionClosed || got[7] != audit.ExceptionOverdue {
		t.Fatalf("statuses %v, want #6 closed and #7 overdue", got)
	}
	if n, err := audit.CountOverdue(ctx, h.Store, later); err != nil || n != 1 {
		t.Fatalf("overdue count %d (%v), want 1", n, err)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_emergency_reviews_overdue 0") {
		t.Error("the overdue-review gauge is not served (nothing is overdue yet by the server's clock)")
	}
	// Every record, declarations and reviews included, is in the chain and verifies.
	res, err := audit.Verify(ctx, h.Store.(store.ChainReader), "")
	if err != nil {
		t.Fatalf("audit verify: %v", err)
	}
	if res.HeadSeq < pirs[0].Seq {
		t.Errorf("verify covered %d records up to %s; the pir record is seq %d", res.Records, res.Head, pirs[0].Seq)
	}
}

func TestDeploymentOfEmergencyChangeNeedsAllowEmergency(t *testing.T) {
	for _, tt := range []struct {
		name, require, want string
	}{
		{"approved_change alone rejects it", "approved_change: true", "rejected"},
		{"allow_emergency accepts it", "{approved_change: true, allow_emergency: true}", "approved"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := emergencyHarness(t)
			req := "      approved_change: true\n"
			if tt.want == "approved" {
				req += "      allow_emergency: true\n"
			}
			h.Repo.SetFile("main", ".github/foureyes.yml", emergencyPolicy+"deployments:\n  - environments: [production]\n    require:\n"+req)
			pr := h.OpenPR(e2etest.PRSpec{Number: 8, Author: "alice"})
			h.PassBuild(pr.HeadSHA)
			h.Comment(8, "ivan", "/foureyes emergency INC-8 checkout down")
			h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
			h.WaitIdle()
			sha := h.MergePR(8, "alice")
			h.WaitIdle()
			run := h.Deploy("production", sha, "erin")
			got := h.DeploymentAnswer(run, "production")
			if got.State != tt.want {
				t.Fatalf("deployment %s (%s), want %s", got.State, got.Comment, tt.want)
			}
			if !strings.Contains(got.Comment, "INC-8") {
				t.Errorf("deployment comment does not name the emergency change: %s", got.Comment)
			}
		})
	}
}
