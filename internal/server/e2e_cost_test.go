package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// lifecycle plays one PR's life of 20 webhooks (the scenario policy-bot was measured on:
// about 100 GitHub requests and 14 status writes for 4 real changes) and returns what
// foureyes spent.
type lifecycleCost struct {
	webhooks        int
	requests        int // answered without 304: what GitHub charges
	notModified     int
	checkRunWrites  int
	distinctResults int
	lastReviewCost  int
}

func playLifecycle(t *testing.T, h *e2etest.Harness, gap time.Duration) lifecycleCost {
	t.Helper()
	repo := "acme/payments"
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	for _, u := range []string{"bob", "carol"} {
		h.Repo.SetPermission(u, "write")
	}
	var cost lifecycleCost
	send := func(event string, payload any) {
		h.Send(event, payload)
		cost.webhooks++
		time.Sleep(gap)
	}
	checks := func(sha string) {
		for _, name := range []string{"build", "test", "lint", "vet", "e2e"} {
			c := h.Repo.AddCheckRun(sha, githubtest.CheckRun{Name: name, AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success"})
			send("check_run", githubtest.CheckRunEvent("completed", h.Repo, c, sha, "ci-bot"))
		}
		send("check_suite", githubtest.CheckSuiteEvent("completed", h.Repo, sha, "ci-bot"))
	}
	ownCompleted := func(sha string) {
		for _, c := range h.GH.OwnCheckRuns(repo) {
			if c.HeadSHA == sha {
				send("check_run", githubtest.CheckRunEvent("completed", h.Repo, c, sha, "foureyes[bot]"))
			}
		}
	}
	h.GH.ResetRequests()
	commits := []githubtest.Commit{
		{SHA: e2etest.SHA("life-c1"), Author: "alice", Committer: "alice", Message: "one"},
		{SHA: e2etest.SHA("life-c2"), Author: "alice", Committer: "alice", Message: "two"},
		{SHA: e2etest.SHA("life-c3"), Author: "alice", Committer: "alice", Message: "three"},
	}
	pr := h.OpenPR(e2etest.PRSpec{Number: 60, Author: "alice", Commits: commits})
	cost.webhooks++
	time.Sleep(gap)
	checks(pr.HeadSHA)
	h.WaitIdle()
	rv := h.Repo.AddReview(60, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob"))
	h.WaitIdle()
	ownCompleted(pr.HeadSHA)
	before := pr.HeadSHA
	h.Repo.AddCommit(githubtest.Commit{SHA: e2etest.SHA("life-c4"), Parents: []string{before}, Author: "alice", Committer: "alice", Message: "four"})
	p := h.Repo.PR(60)
	p.Commits = append(p.Commits, e2etest.SHA("life-c4"))
	p.HeadSHA = e2etest.SHA("life-c4")
	h.Repo.SetPR(p)
	send("pull_request", githubtest.PullRequestSynchronizeEvent(h.Repo, h.Repo.PR(60), before, "alice"))
	send("push", githubtest.PushEvent(h.Repo, "refs/heads/"+p.HeadRef, before, p.HeadSHA, "alice"))
	checks(p.HeadSHA)
	h.WaitIdle()
	atReview := h.GH.RateLimitedRequests()
	rv2 := h.Repo.AddReview(60, githubtest.Review{User: "carol", State: "APPROVED", CommitID: p.HeadSHA, SubmittedAt: time.Now()})
	send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, h.Repo.PR(60), rv2, "carol"))
	h.WaitIdle()
	cost.lastReviewCost = h.GH.RateLimitedRequests() - atReview
	ownCompleted(p.HeadSHA)
	h.WaitIdle()
	p = h.Repo.PR(60)
	p.State, p.Merged, p.MergedBy, p.MergeCommitSHA, p.MergedAt = "closed", true, "carol", e2etest.SHA("life-merge"), time.Now()
	h.Repo.SetPR(p)
	send("pull_request", githubtest.PullRequestEvent("closed", h.Repo, h.Repo.PR(60), "carol"))
	h.WaitIdle()

	all := h.GH.Requests()
	for _, r := range all {
		if r.NotModified {
			cost.notModified++
		} else {
			cost.requests++
		}
	}
	seen := map[string]bool{}
	for _, w := range h.GH.CheckRunWrites(repo) {
		cost.checkRunWrites++
		seen[w.HeadSHA+"|"+w.Status+"|"+w.Conclusion+"|"+w.Title] = true
	}
	cost.distinctResults = len(seen)
	return cost
}

// TestLifecycleCost holds foureyes to half of policy-bot's cost on the same PR life, and
// to at most 5 charged requests for a re-evaluation after one new review.
func TestLifecycleCost(t *testing.T) {
	h := e2etest.Start(t, e2etest.WithCoalesceWindow(300*time.Millisecond))
	cost := playLifecycle(t, h, 50*time.Millisecond)
	evaluations := countRecords(t, h, store.KindPRDecision)
	t.Logf("lifecycle: %d webhooks, %d evaluations, %d GitHub requests charged (+%d answered 304), %d check-run writes for %d distinct results, last review re-evaluation %d requests",
		cost.webhooks, evaluations, cost.requests, cost.notModified, cost.checkRunWrites, cost.distinctResults, cost.lastReviewCost)
	if cost.webhooks != 20 {
		t.Fatalf("scenario sent %d webhooks, want 20", cost.webhooks)
	}
	if cost.requests > 50 {
		t.Errorf("%d GitHub requests for one PR's life, want at most 50 (half of policy-bot's ~100)", cost.requests)
	}
	if cost.checkRunWrites != cost.distinctResults {
		t.Errorf("%d check-run writes for %d distinct results: a write that changed nothing", cost.checkRunWrites, cost.distinctResults)
	}
	if cost.lastReviewCost > 5 {
		t.Errorf("re-evaluation after one new review cost %d charged requests, want at most 5", cost.lastReviewCost)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_evaluation_github_requests_count") {
		t.Errorf("per-evaluation request metric missing")
	}
}
