package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

func decisionsOf(h *e2etest.Harness, number int) int {
	return len(h.Records(store.Filter{Kinds: []store.Kind{store.KindPRDecision}, PR: number}))
}

// Below github.rate_limit_reserve, the policy fan-out (background) waits for the
// installation's reset while a webhook-driven evaluation goes at once.
func TestBackgroundWaitsForTheRateBudget(t *testing.T) {
	// The fake's limit is 5000: with a reserve of 4990 the installation is low after a
	// handful of requests.
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) { c.GitHub.RateLimitReserve = 4990 }))
	reset := time.Now().Add(4 * time.Second).Truncate(time.Second).Add(time.Second)
	h.GH.SetRateLimitReset(reset)
	h.Repo.SetFile("main", ".github/foureyes.yml", "version: 1\nrules:\n  - name: four eyes\n    approvals:\n      count: 1\n")
	h.Repo.SetPermission("bob", "write")
	h.OpenPR(e2etest.PRSpec{Number: 51, Author: "alice"})
	pr52 := h.OpenPR(e2etest.PRSpec{Number: 52, Author: "alice"})
	h.WaitIdle()
	if h.GH.RateLimitedRequests() < 11 {
		t.Fatalf("only %d requests: the installation is not below its reserve", h.GH.RateLimitedRequests())
	}
	before51 := decisionsOf(h, 51)

	// The policy changes on main: PRs 51 and 52 are queued in the background lane.
	after := e2etest.SHA("main-policy-budget")
	h.Repo.AddCommit(githubtest.Commit{SHA: after, Parents: []string{e2etest.SHA("base-main")}, Author: "admin", Committer: "admin",
		Message: "policy", Files: []string{".github/foureyes.yml"}, Date: time.Now()})
	h.Send("push", githubtest.PushEvent(h.Repo, "refs/heads/main", e2etest.SHA("base-main"), after, "admin"))
	// A webhook about PR 52 meanwhile is decided at once.
	h.Repo.AddReview(52, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr52.HeadSHA, SubmittedAt: time.Now()})
	h.Send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr52, h.Repo.Reviews(52)[0], "bob"))
	h.CheckRun(pr52.HeadSHA, e2etest.Concluded("success"))
	if time.Now().After(reset) {
		t.Fatalf("the webhook's evaluation was not decided before the reset: it waited behind background work")
	}
	if got := decisionsOf(h, 51); got != before51 {
		t.Fatalf("PR 51's background re-evaluation ran before the reset (%d decisions, had %d)", got, before51)
	}
	if m := metricsText(t, h); !strings.Contains(m, "foureyes_background_rate_limit_waits_total") || strings.Contains(m, "foureyes_background_rate_limit_waits_total 0") {
		t.Errorf("no background wait counted:\n%s", grepLines(m, "rate_limit_waits"))
	}
	// After the reset the background work runs.
	e2etest.Eventually(t, 60*time.Second, "PR 51 re-evaluated after the reset", func() bool { return decisionsOf(h, 51) > before51 })
	if time.Now().Before(reset) {
		t.Errorf("PR 51 re-evaluated before the reset")
	}
}

// A policy push fans out to 100 open PRs in the background lane; a webhook meanwhile is
// decided before the fan-out ends: it never queues behind it.
func TestFanOutDoesNotDelayWebhooks(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", "version: 1\nrules:\n  - name: four eyes\n    approvals:\n      count: 1\n")
	h.Repo.SetPermission("bob", "write")
	const n = 100
	for i := range n {
		h.OpenPR(e2etest.PRSpec{Number: 300 + i, Author: "alice"})
	}
	target := h.OpenPR(e2etest.PRSpec{Number: 299, Author: "alice"})
	h.WaitIdle()
	before := countRecords(t, h, store.KindPRDecision)
	h.GH.SetLatency(20 * time.Millisecond)
	after := e2etest.SHA("main-policy-fanout")
	h.Repo.AddCommit(githubtest.Commit{SHA: after, Parents: []string{e2etest.SHA("base-main")}, Author: "admin", Committer: "admin",
		Message: "policy", Files: []string{".github/foureyes.yml"}, Date: time.Now()})
	h.Send("push", githubtest.PushEvent(h.Repo, "refs/heads/main", e2etest.SHA("base-main"), after, "admin"))
	start := time.Now()
	h.Repo.AddReview(299, githubtest.Review{User: "bob", State: "APPROVED", CommitID: target.HeadSHA, SubmittedAt: time.Now()})
	h.Send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, target, h.Repo.Reviews(299)[0], "bob"))
	h.CheckRun(target.HeadSHA, e2etest.Concluded("success"))
	took := time.Since(start)
	done := countRecords(t, h, store.KindPRDecision) - before
	t.Logf("webhook decided in %v while the fan-out had done %d of %d evaluations", took.Round(time.Millisecond), done-1, n+1)
	if done >= n {
		t.Errorf("the webhook's decision came after the fan-out (%d decisions by then)", done)
	}
	h.WaitIdle()
}
