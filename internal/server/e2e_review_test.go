package server_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

func strictHarness(t *testing.T, opts ...e2etest.Option) *e2etest.Harness {
	h := e2etest.Start(t, opts...)
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	for _, u := range []string{"alice", "bob", "carol", "dave", "erin", "frank"} {
		h.Repo.SetPermission(u, "write")
	}
	return h
}

func TestIndependentApprovalPasses(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 1, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Title, "approval") {
		t.Errorf("pending title = %q, want it to say an approval is needed", run.Output.Title)
	}
	h.PassBuild(pr.HeadSHA)
	h.Approve(1, "bob")
	run = h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	if !strings.Contains(run.Output.Text, "bob") {
		t.Errorf("evidence text does not name the approver bob:\n%s", run.Output.Text)
	}
}

func TestSelfApprovalDoesNotCount(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 2, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(2, "alice")
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Text, "alice") {
		t.Errorf("text should say why alice's approval does not count:\n%s", run.Output.Text)
	}
}

func TestApprovalThenPushNeedsNewApproval(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 3, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(3, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	pr = h.Push(3, "alice", githubtest.Commit{SHA: e2etest.SHA("pr3-c2"), Author: "alice", Committer: "alice", Message: "more"})
	h.PassBuild(pr.HeadSHA)
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Text, "bob") {
		t.Errorf("text should explain bob's approval is on an old head:\n%s", run.Output.Text)
	}
}
