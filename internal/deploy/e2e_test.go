package deploy_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// gatedPolicy is the e2e strict policy plus a production gate.
const gatedPolicy = e2etest.StrictPolicy + `deployments:
  - name: production gate
    environments: [production]
    require:
      approved_change: true
      independent_deployer: true
      checks: [build]
`

func gatedHarness(t *testing.T, opts ...e2etest.Option) *e2etest.Harness {
	t.Helper()
	h := e2etest.Start(t, opts...)
	h.Repo.SetFile("main", ".github/foureyes.yml", gatedPolicy)
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin"} {
		h.Repo.SetPermission(u, "write")
	}
	return h
}

// approvedMerge opens PR n by alice with commits, gets bob's approval and a passing
// build on its head, merges it as mergedBy, and passes the build on the merge commit.
func approvedMerge(t *testing.T, h *e2etest.Harness, n int, commits ...githubtest.Commit) string {
	t.Helper()
	pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice", Commits: commits})
	h.PassBuild(pr.HeadSHA)
	h.Approve(n, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	sha := h.MergePR(n, "bob")
	h.PassBuild(sha)
	h.WaitIdle()
	return sha
}

func TestDeploymentGate(t *testing.T) {
	tests := []struct {
		name    string
		opts    []e2etest.Option
		setup   func(t *testing.T, h *e2etest.Harness) string // returns the SHA to deploy
		env     string
		sender  string
		want    string   // approved or rejected
		comment []string // the comment must contain each
	}{
		{name: "approved merge deployed by someone else", env: "production", sender: "erin", want: "approved",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 1) },
			comment: []string{"foureyes approved", "#1", "erin", "audit record #"}},
		{name: "deployed by its author", env: "production", sender: "alice", want: "rejected",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 2) },
			comment: []string{"foureyes rejected", "alice is the author of #2"}},
		{name: "deployed by a committer", env: "production", sender: "carol", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				return approvedMerge(t, h, 3, githubtest.Commit{SHA: e2etest.SHA("pr3-c1"), Author: "alice", Committer: "carol", Message: "change"})
			},
			comment: []string{"carol committed to #3"}},
		{name: "deployed by a pusher", env: "production", sender: "dave", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				pr := h.OpenPR(e2etest.PRSpec{Number: 4, Author: "alice"})
				pr = h.Push(4, "dave", githubtest.Commit{SHA: e2etest.SHA("pr4-c2"), Author: "alice", Committer: "alice", Message: "more"})
				h.PassBuild(pr.HeadSHA)
				h.Approve(4, "bob")
				h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
				h.WaitIdle()
				sha := h.MergePR(4, "bob")
				h.PassBuild(sha)
				return sha
			},
			comment: []string{"dave pushed to #4"}},
		{name: "a SHA no pull request brought", env: "production", sender: "erin", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				sha := e2etest.SHA("direct-push")
				h.Repo.AddCommit(githubtest.Commit{SHA: sha, Author: "alice", Committer: "alice", Message: "hotfix"})
				h.PassBuild(sha)
				return sha
			},
			comment: []string{"no pull request brought"}},
		{name: "merged through a bypass violation", env: "production", sender: "erin", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				pr := h.OpenPR(e2etest.PRSpec{Number: 6, Author: "alice"})
				h.PassBuild(pr.HeadSHA)
				h.CheckRun(pr.HeadSHA, e2etest.InProgress) // no approval: the decision is pending
				h.WaitIdle()
				sha := h.MergePR(6, "alice") // an admin bypass
				h.PassBuild(sha)
				return sha
			},
			comment: []string{"#6 by alice was merged through a violation"}},
		{name: "required check failed on the SHA", env: "production", sender: "erin", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				sha := approvedMerge(t, h, 7)
				h.CompleteCheck(sha, "build", "github-actions", 15368, "failure")
				return sha
			},
			comment: []string{"check build failure"}},
		{name: "an environment no rule names", env: "staging", sender: "alice", want: "approved",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return e2etest.SHA("anything") },
			comment: []string{"no deployment rule names environment staging"}},
		{name: "an unnamed environment the server requires a rule for",
			opts: []e2etest.Option{e2etest.WithConfig(func(c *config.Config) { c.Deployments.RejectUnknown = []string{"prod*"} })},
			env:  "prod-eu", sender: "erin", want: "rejected",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 9) },
			comment: []string{"no deployment rule names environment prod-eu", "prod*"}},
		{name: "a bot deploying for the author", env: "production", sender: "github-actions[bot]", want: "rejected",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				sha := approvedMerge(t, h, 10)
				h.Repo.SetWorkflowRun(githubtest.WorkflowRun{ID: githubtest.DeploymentRunID(h.Repo, "production", sha),
					HeadSHA: sha, Actor: "github-actions[bot]", TriggeringActor: "alice"})
				return sha
			},
			comment: []string{"alice is the author of #10"}},
		{name: "a bot deploying for someone independent", env: "production", sender: "github-actions[bot]", want: "approved",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				sha := approvedMerge(t, h, 11)
				h.Repo.SetWorkflowRun(githubtest.WorkflowRun{ID: githubtest.DeploymentRunID(h.Repo, "production", sha),
					HeadSHA: sha, Actor: "erin", TriggeringActor: "erin"})
				return sha
			},
			comment: []string{"erin"}},
		{name: "a bot no person stands behind", env: "production", sender: "github-actions[bot]", want: "rejected",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 12) },
			comment: []string{"github-actions[bot] is not a person"}},
		{name: "the ghost user", env: "production", sender: "", want: "rejected",
			setup:   func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 13) },
			comment: []string{"ghost is not a person"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := gatedHarness(t, tc.opts...)
			sha := tc.setup(t, h)
			h.WaitIdle()
			run := h.Deploy(tc.env, sha, tc.sender)
			got := h.DeploymentAnswer(run, tc.env)
			if got.State != tc.want {
				t.Errorf("state = %q, want %q; comment:\n%s", got.State, tc.want, got.Comment)
			}
			for _, s := range tc.comment {
				if !strings.Contains(got.Comment, s) {
					t.Errorf("comment does not contain %q:\n%s", s, got.Comment)
				}
			}
			if len(got.Comment) > 1024 {
				t.Errorf("comment is %d characters, over GitHub's 1024", len(got.Comment))
			}
			h.WaitIdle()
			decisions := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: sha})
			if len(decisions) != 1 || decisions[0].Outcome != tc.want {
				t.Fatalf("deployment decision records for %s = %+v, want one %s", sha, decisions, tc.want)
			}
			if !strings.Contains(got.Comment, "#"+itoa(decisions[0].Seq)) {
				t.Errorf("comment does not link audit record #%d:\n%s", decisions[0].Seq, got.Comment)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestForeignCallbackRefused: a callback URL on another host is never requested (the
// installation token would go there), and the refusal is recorded.
func TestForeignCallbackRefused(t *testing.T) {
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer evil.Close()
	h := gatedHarness(t)
	sha := approvedMerge(t, h, 1)
	run := githubtest.DeploymentRunID(h.Repo, "production", sha)
	for _, cb := range []string{
		evil.URL + "/api/v3/repos/acme/payments/actions/runs/1/deployment_protection_rule",
		strings.Replace(githubtest.DeploymentCallbackURL(h.Repo, run), "/api/v3/", "/", 1), // GHES without /api/v3
	} {
		h.DeployWith(e2etest.DeploySpec{Env: "production", SHA: sha, Sender: "erin", CallbackURL: cb})
	}
	h.WaitIdle()
	if n := hits.Load(); n != 0 {
		t.Errorf("the foreign host got %d requests, want 0", n)
	}
	if got := h.GH.DeploymentReviews(); len(got) != 0 {
		t.Errorf("deployment answers = %+v, want none", got)
	}
	refused := h.Records(store.Filter{Kinds: []store.Kind{store.KindRefused}, SHA: sha})
	if len(refused) != 2 {
		t.Fatalf("refused records = %d, want 2", len(refused))
	}
	if !strings.Contains(string(refused[0].Facts), evil.URL) {
		t.Errorf("refused record does not name the callback URL: %s", refused[0].Facts)
	}
	if d := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}}); len(d) != 0 {
		t.Errorf("decisions recorded for refused callbacks: %d", len(d))
	}
}

// TestCallbackRetriedOnceAnswered: GitHub answers 502, then 204. The delivery is retried,
// the retry reuses the recorded decision, and a redelivery after success does nothing.
func TestCallbackRetriedOnceAnswered(t *testing.T) {
	h := gatedHarness(t)
	sha := approvedMerge(t, h, 1)
	h.GH.Fail("POST", "/repos/*/*/actions/runs/*/deployment_protection_rule", http.StatusBadGateway, 1, nil)
	spec := e2etest.DeploySpec{Env: "production", SHA: sha, Sender: "erin"}
	run := h.DeployWith(spec)
	h.DeploymentAnswer(run, "production")
	h.WaitIdle()
	h.Send("deployment_protection_rule", h.DeployPayload(spec)) // a redelivery, new delivery id
	h.WaitIdle()
	var statuses []int
	for _, r := range h.GH.DeploymentReviews() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 2 || statuses[0] != http.StatusBadGateway || statuses[1] != http.StatusNoContent {
		t.Errorf("callback attempts = %v, want [502 204]", statuses)
	}
	if d := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: sha}); len(d) != 1 {
		t.Errorf("decision records = %d, want 1", len(d))
	}
}

// TestDeploymentEventsRecorded: deployment, deployment_status and deployment_review land
// in the audit log under the SHA, with who and what.
func TestDeploymentEventsRecorded(t *testing.T) {
	h := gatedHarness(t)
	sha := e2etest.SHA("deployed")
	h.Send("deployment", githubtest.DeploymentEvent(h.Repo, "production", sha, "main", "erin"))
	h.Send("deployment_review", githubtest.DeploymentReviewEvent(h.Repo, "approved", "production", sha, "carol", "ship it"))
	h.Send("deployment_status", githubtest.DeploymentStatusEvent(h.Repo, "production", sha, "main", "success", "erin"))
	h.WaitIdle()
	recs := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentEvent}, SHA: sha})
	want := []struct{ event, actor, outcome, contains string }{
		{"deployment", "erin", "created", `"creator":"erin"`},
		{"deployment_review", "carol", "approved", `"comment":"ship it"`},
		{"deployment_status", "erin", "success", `"state":"success"`},
	}
	if len(recs) != len(want) {
		t.Fatalf("deployment event records = %d, want %d", len(recs), len(want))
	}
	for _, w := range want {
		found := false
		for _, r := range recs {
			if strings.Contains(string(r.Facts), `"event":"`+w.event+`"`) {
				found = true
				if r.Actor != w.actor || r.Outcome != w.outcome || !strings.Contains(string(r.Facts), w.contains) ||
					!strings.Contains(string(r.Facts), `"environment":"production"`) {
					t.Errorf("%s record: actor %q outcome %q facts %s; want actor %q outcome %q with %s",
						w.event, r.Actor, r.Outcome, r.Facts, w.actor, w.outcome, w.contains)
				}
			}
		}
		if !found {
			t.Errorf("no %s record", w.event)
		}
	}
}

// TestConcurrentDeliveriesOneDecision: two deliveries of the same request handled at the
// same time give one decision and one answer.
func TestConcurrentDeliveriesOneDecision(t *testing.T) {
	h := gatedHarness(t)
	sha := approvedMerge(t, h, 1)
	spec := e2etest.DeploySpec{Env: "production", SHA: sha, Sender: "erin"}
	h.Send("deployment_protection_rule", h.DeployPayload(spec))
	h.Send("deployment_protection_rule", h.DeployPayload(spec))
	h.WaitIdle()
	ok := 0
	for _, r := range h.GH.DeploymentReviews() {
		if r.Status == http.StatusNoContent {
			ok++
		}
	}
	if ok != 1 {
		t.Errorf("successful answers = %d, want 1", ok)
	}
	if d := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: sha}); len(d) != 1 {
		t.Errorf("decision records = %d, want 1", len(d))
	}
}
