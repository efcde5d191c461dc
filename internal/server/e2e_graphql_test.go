package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// chargedSince lists "METHOD path" of the GitHub requests after mark that reached GitHub
// (not answered 304).
func chargedSince(h *e2etest.Harness, mark int) []string {
	var out []string
	for _, r := range h.GH.Requests()[mark:] {
		if !r.NotModified {
			out = append(out, r.Method+" "+r.Path)
		}
	}
	return out
}

// The approval that turns a PR green is confirmed with one GraphQL read (PR, reviews,
// check runs and the reviewer's permission) and the statuses, answered 304: no REST read
// of the PR, its reviews, its check runs or the reviewer's permission.
func TestApprovalConfirmedWithOneGraphQLRead(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 81, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.WaitIdle()
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	mark := len(h.GH.Requests())
	h.Approve(81, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	got := chargedSince(h, mark)
	if len(got) != 2 || got[0] != "POST /graphql" || !strings.HasPrefix(got[1], "PATCH /repos/acme/payments/check-runs/") {
		t.Errorf("approval cost %v, want one GraphQL read and the check-run write", got)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_green_confirmations_total 1") || strings.Contains(m, "foureyes_graphql_fallbacks_total 1") {
		t.Errorf("confirmation not counted, or fell back:\n%s", grep(m, "confirmations")+grep(m, "graphql"))
	}
}

// A webhook says the build passed, GitHub says it failed (a re-run whose webhook was
// missed): the GraphQL confirmation reads the failure, and the check is not green.
func TestGraphQLConfirmationCatchesStaleCheckPayload(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 82, Author: "alice"})
	h.Approve(82, "bob")
	h.WaitIdle()
	failed := h.Repo.AddCheckRun(pr.HeadSHA, githubtest.CheckRun{Name: "build", AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "failure"})
	claimed := failed
	claimed.Conclusion = "success"
	h.Send("check_run", githubtest.CheckRunEvent("completed", h.Repo, claimed, pr.HeadSHA, "ci-bot"))
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, func(c githubtest.CheckRun) bool { return c.Status == "completed" || c.Status == "in_progress" })
	if run.Conclusion == "success" {
		t.Fatalf("green from a webhook payload that GitHub contradicts: %+v", run.Output)
	}
	if !strings.Contains(run.Output.Title+run.Output.Summary+run.Output.Text, "build") {
		t.Errorf("the check does not name the failing build: %+v", run.Output)
	}
	var graphql int
	for _, r := range h.GH.Requests() {
		if r.Path == "/graphql" {
			graphql++
		}
	}
	if graphql == 0 {
		t.Error("the green was not confirmed with a GraphQL read")
	}
}

// A new reviewer's permission: the derived pass does not read it, the confirmation looks
// it up in its GraphQL request and the check says why the approval does not count, with no
// REST read of it. Someone who is not a collaborator is not in GraphQL's collaborators:
// their permission is read from REST ("none"), never guessed.
func TestReviewerPermissionReadWithTheConfirmation(t *testing.T) {
	for _, tc := range []struct {
		login, permission, want string
		restRead                bool
	}{
		{"rita", "read", "rita has read permission", false},
		{"zoe", "", "zoe has none permission", true},
	} {
		t.Run(tc.login, func(t *testing.T) {
			h := strictHarness(t)
			if tc.permission != "" {
				h.Repo.SetPermission(tc.login, tc.permission)
			}
			pr := h.OpenPR(e2etest.PRSpec{Number: 83, Author: "alice"})
			h.PassBuild(pr.HeadSHA)
			h.WaitIdle()
			mark := len(h.GH.Requests())
			h.Approve(83, tc.login)
			h.WaitIdle()
			run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
			if text := run.Output.Title + run.Output.Summary + run.Output.Text; !strings.Contains(text, tc.want) {
				t.Errorf("check does not say %q:\n%s", tc.want, text)
			}
			restRead := false
			for _, r := range chargedSince(h, mark) {
				if strings.Contains(r, "/reviews") {
					t.Errorf("read from REST what the GraphQL confirmation reads: %s", r)
				}
				restRead = restRead || r == "GET /repos/acme/payments/collaborators/"+tc.login+"/permission"
			}
			if restRead != tc.restRead {
				t.Errorf("REST permission read: %v, want %v", restRead, tc.restRead)
			}
		})
	}
}

// A GitHub-compatible server without GraphQL: the confirmation falls back to REST,
// decisions are the same, and GraphQL is not tried again for every confirmation.
func TestGraphQLUnavailableFallsBackToREST(t *testing.T) {
	h := strictHarness(t)
	h.GH.DisableGraphQL()
	for _, n := range []int{85, 86} {
		pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice"})
		h.PassBuild(pr.HeadSHA)
		h.Approve(n, "bob")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	}
	h.WaitIdle()
	var graphql, reviews int
	for _, r := range h.GH.Requests() {
		switch {
		case r.Path == "/graphql":
			graphql++
		case strings.HasSuffix(r.Path, "/reviews"):
			reviews++
		}
	}
	if graphql != 1 {
		t.Errorf("%d GraphQL requests, want 1 (then paused)", graphql)
	}
	if reviews < 2 {
		t.Errorf("%d REST review reads, want the two confirmations from REST", reviews)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_graphql_fallbacks_total 1") {
		t.Errorf("fallback not counted:\n%s", grep(m, "graphql"))
	}
}

// A server that answers every query with a validation error (an older schema): each such
// confirmation falls back to REST, and after a few in a row GraphQL is paused, so it does
// not cost a wasted request per confirmation.
func TestGraphQLUnusableAnswersPauseIt(t *testing.T) {
	h := strictHarness(t)
	h.GH.OlderGraphQLSchema()
	for _, n := range []int{91, 92, 93, 94, 95} {
		pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice"})
		h.PassBuild(pr.HeadSHA)
		h.Approve(n, "bob")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
		h.WaitIdle()
	}
	graphql := 0
	for _, r := range h.GH.Requests() {
		if r.Path == "/graphql" {
			graphql++
		}
	}
	if graphql != 3 {
		t.Errorf("%d GraphQL requests for 5 confirmations, want 3 (then paused)", graphql)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_graphql_fallbacks_total 3") {
		t.Errorf("fallbacks not counted:\n%s", grep(m, "graphql"))
	}
}

// The approval arrives for the head foureyes knows, but the author pushed meanwhile and
// the push's webhook is not handled yet: the confirmation sees GitHub's new head, the
// old head is not turned green, and the new head is judged on its own (unapproved).
func TestConfirmationSeesAPushNotYetDelivered(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 87, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.WaitIdle()
	old := pr.HeadSHA
	next := e2etest.SHA("pr87-pushed")
	h.Repo.AddCommit(githubtest.Commit{SHA: next, Parents: []string{old}, Author: "alice", Committer: "alice", Message: "more"})
	p := h.Repo.PR(87)
	p.Commits = append(p.Commits, next)
	p.HeadSHA = next
	h.Repo.SetPR(p)
	rv := h.Repo.AddReview(87, githubtest.Review{User: "bob", State: "APPROVED", CommitID: old, SubmittedAt: time.Now()})
	h.Send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob"))
	h.WaitIdle()
	for _, c := range h.GH.OwnCheckRuns("acme/payments") {
		if c.Conclusion == "success" {
			t.Fatalf("green on %s although GitHub's head moved to %s: %+v", c.HeadSHA, next, c.Output)
		}
	}
	h.CheckRun(next, e2etest.InProgress)
}
