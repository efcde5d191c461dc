package server_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// Approvals by people who took part in the change never count, whatever GitHub allows.
func TestApprovalByParticipantDoesNotCount(t *testing.T) {
	cases := []struct {
		name     string
		approver string
		setup    func(h *e2etest.Harness) githubtest.PR
		wantWhy  string
	}{
		{
			name: "pusher", approver: "dave", wantWhy: "dave pushed",
			setup: func(h *e2etest.Harness) githubtest.PR {
				h.OpenPR(e2etest.PRSpec{Number: 10, Author: "alice"})
				return h.Push(10, "dave", githubtest.Commit{SHA: e2etest.SHA("pr10-c2"), Author: "alice", Committer: "alice", Message: "rebased"})
			},
		},
		{
			name: "committer", approver: "carol", wantWhy: "carol committed",
			setup: func(h *e2etest.Harness) githubtest.PR {
				return h.OpenPR(e2etest.PRSpec{Number: 11, Author: "alice", Commits: []githubtest.Commit{
					{SHA: e2etest.SHA("pr11-c1"), Author: "alice", Committer: "carol", Message: "applied by carol"},
				}})
			},
		},
		{
			name: "co-author", approver: "erin", wantWhy: "erin",
			setup: func(h *e2etest.Harness) githubtest.PR {
				return h.OpenPR(e2etest.PRSpec{Number: 12, Author: "alice", Commits: []githubtest.Commit{
					{SHA: e2etest.SHA("pr12-c1"), Author: "alice", Committer: "alice",
						Message: "pair work\n\nCo-authored-by: Erin <erin@users.noreply.github.com>"},
				}})
			},
		},
		{
			name: "author of a web-flow commit", approver: "bob", wantWhy: "bob",
			setup: func(h *e2etest.Harness) githubtest.PR {
				return h.OpenPR(e2etest.PRSpec{Number: 13, Author: "alice", Commits: []githubtest.Commit{
					{SHA: e2etest.SHA("pr13-c1"), Author: "alice", Committer: "alice", Message: "change"},
					{SHA: e2etest.SHA("pr13-c2"), Author: "bob", Committer: "web-flow", Message: "edit in the browser", Verified: true},
				}})
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := strictHarness(t)
			pr := tc.setup(h)
			h.PassBuild(pr.HeadSHA)
			h.Approve(pr.Number, tc.approver)
			h.WaitIdle()
			run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
			if !strings.Contains(run.Output.Text, tc.wantWhy) {
				t.Errorf("text should say %q:\n%s", tc.wantWhy, run.Output.Text)
			}
			// An independent reviewer then makes it pass: the check was waiting, not broken.
			h.Approve(pr.Number, "frank")
			h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
		})
	}
}
