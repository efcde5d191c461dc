package deploy_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// TestDeploymentOfIntermediateCommitRejected: approved_change is about the code deployed,
// not the PRs GitHub associates with it. An intermediate commit of an approved PR (a
// backdoor reverted before review) and a direct push that a later approved PR sits on
// are rejected; the approved merge commit itself is approved.
func TestDeploymentOfIntermediateCommitRejected(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, h *e2etest.Harness) string
		want    string
		comment string
	}{
		{name: "intermediate commit of an approved PR", want: "rejected", comment: "not the merge commit",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				backdoor := githubtest.Commit{SHA: e2etest.SHA("pr20-backdoor"), Author: "alice", Committer: "alice", Message: "backdoor"}
				revert := githubtest.Commit{SHA: e2etest.SHA("pr20-revert"), Author: "alice", Committer: "alice", Message: "revert backdoor"}
				approvedMerge(t, h, 20, backdoor, revert)
				h.Repo.SetCommitPulls(backdoor.SHA, 20) // GitHub associates every commit of a PR with it
				h.PassBuild(backdoor.SHA)
				return backdoor.SHA
			}},
		{name: "direct push under a later approved merge", want: "rejected", comment: "not the merge commit",
			setup: func(t *testing.T, h *e2etest.Harness) string {
				direct := githubtest.Commit{SHA: e2etest.SHA("direct-under"), Parents: []string{e2etest.SHA("base-main")}, Author: "alice", Committer: "alice", Message: "hotfix"}
				h.Repo.AddCommit(direct)
				approvedMerge(t, h, 21, githubtest.Commit{SHA: e2etest.SHA("pr21-c1"), Parents: []string{direct.SHA}, Author: "alice", Committer: "alice", Message: "on top"})
				h.Repo.SetCommitPulls(direct.SHA, 21)
				h.PassBuild(direct.SHA)
				return direct.SHA
			}},
		{name: "the approved merge commit", want: "approved", comment: "#22",
			setup: func(t *testing.T, h *e2etest.Harness) string { return approvedMerge(t, h, 22) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := gatedHarness(t)
			sha := tc.setup(t, h)
			h.WaitIdle()
			got := h.DeploymentAnswer(h.Deploy("production", sha, "erin"), "production")
			if got.State != tc.want || !strings.Contains(got.Comment, tc.comment) {
				t.Fatalf("state %q, want %q with %q; comment:\n%s", got.State, tc.want, tc.comment, got.Comment)
			}
		})
	}
}

// TestMergeRetargetedBeforeEditedEventDeploymentRejected: the end of the attack on a
// retargeted PR: merged into main under a decision made for dev, its merge commit must not
// deploy as an approved change.
func TestMergeRetargetedBeforeEditedEventDeploymentRejected(t *testing.T) {
	h := gatedHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 30, Author: "alice", BaseRef: "dev"})
	h.PassBuild(pr.HeadSHA)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
	h.WaitIdle()
	cur := h.Repo.PR(30)
	cur.BaseRef = "main" // retargeted; merged before the edited event is processed
	h.Repo.SetPR(cur)
	sha := h.MergePR(30, "alice")
	h.PassBuild(sha)
	h.WaitIdle()
	got := h.DeploymentAnswer(h.Deploy("production", sha, "erin"), "production")
	if got.State != "rejected" || !strings.Contains(got.Comment, "#30") {
		t.Fatalf("state %q, want rejected naming #30; comment:\n%s", got.State, got.Comment)
	}
}
