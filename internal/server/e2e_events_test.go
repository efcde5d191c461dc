package server_test

import (
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// A push that changes the policy file on a branch re-evaluates the open PRs targeting it.
func TestPolicyPushReevaluatesOpenPRs(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", laxPolicy)
	h.Repo.SetPermission("bob", "write")
	pr := h.OpenPR(e2etest.PRSpec{Number: 80, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()

	before := e2etest.SHA("base-main")
	after := e2etest.SHA("main-policy-2")
	h.Repo.AddCommit(githubtest.Commit{SHA: after, Parents: []string{before}, Author: "admin", Committer: "admin",
		Message: "tighten policy", Files: []string{".github/foureyes.yml"}, Date: time.Now()})
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Send("push", githubtest.PushEvent(h.Repo, "refs/heads/main", before, after, "admin"))
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
}

// Adding a repository to the installation evaluates its open PRs.
func TestInstallationAddedEvaluatesOpenPRs(t *testing.T) {
	h := e2etest.Start(t)
	ledger := h.GH.AddRepo("acme/ledger", e2etest.Installation)
	ledger.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	sha := e2etest.SHA("ledger-c1")
	ledger.AddCommit(githubtest.Commit{SHA: sha, Parents: []string{e2etest.SHA("ledger-base")}, Author: "alice", Committer: "alice", Message: "x", Date: time.Now()})
	ledger.SetPR(githubtest.PR{Number: 5, Title: "LED-5 ledger fix", Author: "alice", State: "open", BaseRef: "main",
		BaseSHA: e2etest.SHA("ledger-base"), HeadRef: "fix", HeadSHA: sha, Commits: []string{sha}, Files: []string{"a.go"}})
	h.Send("installation_repositories", githubtest.InstallationReposEventFor(h.GH, "added", e2etest.Installation, "acme", "acme/ledger"))
	e2etest.Eventually(t, 60*time.Second, "check run on acme/ledger#5", func() bool {
		for _, c := range h.GH.OwnCheckRuns("acme/ledger") {
			if c.HeadSHA == sha && c.Status == "in_progress" {
				return true
			}
		}
		return false
	})
}

// The "Re-evaluate" button on foureyes' own check run evaluates again with fresh facts.
func TestReevaluateButton(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 81, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	// An approval whose webhook never arrived.
	h.Repo.AddReview(81, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	ev := githubtest.CheckRunEvent("requested_action", h.Repo, run, pr.HeadSHA, "alice")
	ev["requested_action"] = map[string]any{"identifier": "reevaluate"}
	h.Send("check_run", ev)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}
