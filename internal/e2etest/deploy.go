package e2etest

import (
	"context"
	"fmt"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// MergePR merges the PR in the fake (merged by mergedBy, with a merge commit on main that
// GET commits/{sha}/pulls maps back to the PR) and sends pull_request closed, so foureyes
// records the merge. It returns the merge commit SHA, the SHA a deployment ships.
func (h *Harness) MergePR(number int, mergedBy string) string {
	h.T.Helper()
	pr := h.Repo.PR(number)
	merge := SHA(fmt.Sprintf("merge-%d", number))
	h.Repo.AddCommit(githubtest.Commit{SHA: merge, Parents: []string{pr.BaseSHA, pr.HeadSHA}, Author: mergedBy,
		Committer: "web-flow", Message: fmt.Sprintf("Merge pull request #%d", number), Date: time.Now().UTC()})
	pr.State, pr.Merged, pr.MergedBy, pr.MergeCommitSHA, pr.MergedAt = "closed", true, mergedBy, merge, time.Now().UTC()
	h.Repo.SetPR(pr)
	h.Repo.SetBranch(pr.BaseRef, merge)
	h.Repo.SetCommitPulls(merge, number)
	h.Send("pull_request", githubtest.PullRequestEvent("closed", h.Repo, h.Repo.PR(number), mergedBy))
	return merge
}

// DeploySpec is one deployment_protection_rule request.
type DeploySpec struct {
	Env    string
	SHA    string
	Sender string // the deployer; "" sends the ghost user
	// CallbackURL defaults to the fake's callback for the run of (Env, SHA).
	CallbackURL string
	PRs         []int // the payload's pull_requests (usually empty for a push)
}

// Deploy sends deployment_protection_rule requested for sha to env by sender, with a
// callback URL on the fake. It returns the workflow run id.
func (h *Harness) Deploy(env, sha, sender string) int64 {
	h.T.Helper()
	return h.DeployWith(DeploySpec{Env: env, SHA: sha, Sender: sender})
}

// DeployWith sends the request s describes and returns the workflow run id.
func (h *Harness) DeployWith(s DeploySpec) int64 {
	h.T.Helper()
	h.Send("deployment_protection_rule", h.DeployPayload(s))
	return githubtest.DeploymentRunID(h.Repo, s.Env, s.SHA)
}

// DeployPayload is the payload DeployWith sends (to send it again, as a redelivery).
func (h *Harness) DeployPayload(s DeploySpec) map[string]any {
	return githubtest.DeploymentProtectionRuleEvent(h.Repo, s.Env, s.SHA, h.Repo.DefaultBranch, "push", s.CallbackURL, s.Sender, s.PRs)
}

// DeploymentAnswer waits for foureyes' successful answer (204) for env on run, and
// returns it.
func (h *Harness) DeploymentAnswer(runID int64, env string) githubtest.DeploymentReview {
	h.T.Helper()
	var found githubtest.DeploymentReview
	Eventually(h.T, 15*time.Second, fmt.Sprintf("deployment answer for run %d/%s", runID, env), func() bool {
		for _, r := range h.GH.DeploymentReviews() {
			if r.RunID == runID && r.EnvironmentName == env && r.Status == 204 {
				found = r
				return true
			}
		}
		return false
	})
	return found
}

// Records returns the audit records that match f, in sequence order.
func (h *Harness) Records(f store.Filter) []store.Record {
	h.T.Helper()
	var out []store.Record
	if err := h.Store.Query(context.Background(), f, func(r store.Record) error { out = append(out, r); return nil }); err != nil {
		h.T.Fatalf("query audit records: %v", err)
	}
	return out
}
