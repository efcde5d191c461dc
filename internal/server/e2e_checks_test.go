package server_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

func TestRequiredChecks(t *testing.T) {
	cases := []struct {
		name     string
		post     func(h *e2etest.Harness, sha string)
		want     func(githubtest.CheckRun) bool
		wantText string
	}{
		{"missing", func(h *e2etest.Harness, sha string) {}, e2etest.InProgress, "build"},
		{"failed", func(h *e2etest.Harness, sha string) {
			h.CompleteCheck(sha, "build", "github-actions", 15368, "failure")
		}, e2etest.Concluded("failure"), "failure"},
		{"foreign app", func(h *e2etest.Harness, sha string) {
			h.CompleteCheck(sha, "build", "evil-ci", 999, "success")
		}, e2etest.InProgress, "evil-ci"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := strictHarness(t)
			pr := h.OpenPR(e2etest.PRSpec{Number: 20, Author: "alice"})
			h.Approve(20, "bob")
			tc.post(h, pr.HeadSHA)
			h.WaitIdle()
			run := h.CheckRun(pr.HeadSHA, tc.want)
			if !strings.Contains(run.Output.Text+run.Output.Summary, tc.wantText) {
				t.Errorf("output should mention %q:\n%s\n%s", tc.wantText, run.Output.Summary, run.Output.Text)
			}
		})
	}
}

func TestMissingTicketFails(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 21, Author: "alice", Title: "fix rounding", HeadRef: "fix-rounding"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(21, "bob")
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(strings.ToLower(run.Output.Title+run.Output.Summary), "ticket") {
		t.Errorf("output should say the ticket is missing: %q\n%s", run.Output.Title, run.Output.Summary)
	}
}

func TestDraftIsPending(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 22, Author: "alice", Draft: true})
	h.PassBuild(pr.HeadSHA)
	h.Approve(22, "bob")
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(strings.ToLower(run.Output.Title), "draft") {
		t.Errorf("title should say draft: %q", run.Output.Title)
	}
	p := h.Repo.PR(22)
	p.Draft = false
	h.Repo.SetPR(p)
	h.Send("pull_request", githubtest.PullRequestEvent("ready_for_review", h.Repo, h.Repo.PR(22), "alice"))
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}
