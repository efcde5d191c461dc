package server_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// lifecyclePolicy is the policy of the scenario policy-bot was measured on: one approval
// on the head (a push needs a new one) and 2 of the 5 CI checks required.
const lifecyclePolicy = `version: 1
rules:
  - name: production code
    branches: [main]
    approvals:
      count: 1
      on_head: true
    checks:
      - {name: build, app: github-actions}
      - {name: test, app: github-actions}
`

var ciChecks = []string{"build", "test", "lint", "vet", "e2e"}

// lifecycleCost is what one PR's life cost foureyes.
type lifecycleCost struct {
	webhooks    int
	requests    int // every GitHub API request, 304s included
	charged     int // not answered 304: what GitHub counts against the rate limit
	writes      int // check-run creates and updates
	distinct    int // distinct results shown (conclusion and explanation)
	evaluations int
	lastToFinal time.Duration // last webhook sent -> final decision written (answer received)
}

func (c lifecycleCost) String() string {
	return fmt.Sprintf("%d webhooks, %d evaluations, %d GitHub requests (%d charged, %d answered 304), %d decision writes for %d distinct results, last webhook -> final decision %v",
		c.webhooks, c.evaluations, c.requests, c.charged, c.requests-c.charged, c.writes, c.distinct, c.lastToFinal.Round(100*time.Microsecond))
}

// costSince counts the GitHub requests and decision writes after mark.
func costSince(h *e2etest.Harness, mark, writeMark int) lifecycleCost {
	var c lifecycleCost
	for _, r := range h.GH.Requests()[mark:] {
		c.requests++
		if !r.NotModified {
			c.charged++
		}
	}
	seen := map[string]bool{}
	for _, w := range h.GH.CheckRunWrites(e2etest.Owner + "/" + e2etest.RepoName)[writeMark:] {
		c.writes++
		seen[w.HeadSHA+"|"+w.Status+"|"+w.Conclusion+"|"+w.Title+"|"+w.Summary+"|"+w.Text] = true
	}
	c.distinct = len(seen)
	return c
}

// playLifecycle plays one PR's life: opened with 3 commits; the 5 CI checks (2 required)
// completing one after the other, each after the previous was handled (about a second
// apart on GitHub, never inside one window); their suite; an approval; foureyes' own run
// completing; the author's push (synchronize and push); the 5 checks and the suite again;
// a re-approval; foureyes' own run completing. It returns the cost, and the time from the
// last webhook that changes the decision (the re-approval) to the final decision.
func playLifecycle(t *testing.T, h *e2etest.Harness, number int) lifecycleCost {
	t.Helper()
	repo := e2etest.Owner + "/" + e2etest.RepoName
	h.Repo.SetFile("main", ".github/foureyes.yml", lifecyclePolicy)
	for _, u := range []string{"bob", "carol"} {
		h.Repo.SetPermission(u, "write")
	}
	mark, writeMark := len(h.GH.Requests()), len(h.GH.CheckRunWrites(repo))
	decisionsBefore := countRecords(t, h, store.KindPRDecision)
	webhooks := 0
	send := func(event string, payload any) {
		h.Send(event, payload)
		webhooks++
		h.WaitIdle()
	}
	checks := func(sha string) {
		for _, name := range ciChecks {
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
	c := func(label string) string { return e2etest.SHA(fmt.Sprintf("life%d-%s", number, label)) }
	pr := h.OpenPR(e2etest.PRSpec{Number: number, Author: "alice", Commits: []githubtest.Commit{
		{SHA: c("c1"), Author: "alice", Committer: "alice", Message: "one"},
		{SHA: c("c2"), Author: "alice", Committer: "alice", Message: "two"},
		{SHA: c("c3"), Author: "alice", Committer: "alice", Message: "three"},
	}})
	webhooks++
	h.WaitIdle()
	checks(pr.HeadSHA)
	rv := h.Repo.AddReview(number, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob"))
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	ownCompleted(pr.HeadSHA)

	before := pr.HeadSHA
	h.Repo.AddCommit(githubtest.Commit{SHA: c("c4"), Parents: []string{before}, Author: "alice", Committer: "alice", Message: "four"})
	p := h.Repo.PR(number)
	p.Commits = append(p.Commits, c("c4"))
	p.HeadSHA = c("c4")
	h.Repo.SetPR(p)
	send("pull_request", githubtest.PullRequestSynchronizeEvent(h.Repo, h.Repo.PR(number), before, "alice"))
	send("push", githubtest.PushEvent(h.Repo, "refs/heads/"+p.HeadRef, before, p.HeadSHA, "alice"))
	checks(p.HeadSHA)

	rv2 := h.Repo.AddReview(number, githubtest.Review{User: "carol", State: "APPROVED", CommitID: p.HeadSHA, SubmittedAt: time.Now()})
	sent := time.Now()
	h.Send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, h.Repo.PR(number), rv2, "carol"))
	webhooks++
	h.WaitIdle()
	h.CheckRun(p.HeadSHA, e2etest.Concluded("success"))
	var final time.Time
	for _, r := range h.GH.Requests()[mark:] {
		if strings.Contains(r.Path, "/check-runs") && r.Method != "GET" && r.Answered.After(final) {
			final = r.Answered
		}
	}
	ownCompleted(p.HeadSHA)

	cost := costSince(h, mark, writeMark)
	cost.webhooks = webhooks
	cost.evaluations = countRecords(t, h, store.KindPRDecision) - decisionsBefore
	cost.lastToFinal = final.Sub(sent)
	return cost
}

// The targets of issue 15, next to policy-bot's 102 requests (86 charged) and 14 writes.
// The installation's repository selection, which says whether a 404 on the org
// repository means "no baseline" (#18), comes with the token answer. Each approval that
// turns the check green is confirmed with one GraphQL read (PR, reviews, check runs, the
// reviewer's permission) and the statuses (a free 304). The commits and files of each
// head are one compare request. 21 requests, 19 charged.
const (
	maxLifecycleRequests = 34
	maxLifecycleCharged  = 19
	maxBurstRequests     = 25
)

// TestLifecycleCost holds one PR's life to the targets and checks that the counts
// do not depend on timing: two lives on two servers cost exactly the same.
func TestLifecycleCost(t *testing.T) {
	var costs []lifecycleCost
	for run := range 2 {
		h := e2etest.Start(t)
		cost := playLifecycle(t, h, 60)
		t.Logf("lifecycle run %d: %v", run+1, cost)
		costs = append(costs, cost)
		if run == 0 {
			if m := metricsText(t, h); !strings.Contains(m, `foureyes_webhook_events_skipped_total{event="check_run",reason="check_not_required"} 6`) ||
				!strings.Contains(m, `reason="own_check"`) || !strings.Contains(m, "foureyes_green_confirmations_total 2") {
				t.Errorf("skips or confirmations not counted:\n%s", grepLines(m, "skipped")+"\n"+grepLines(m, "confirmations"))
			}
		}
	}
	cost := costs[0]
	if cost.webhooks != 19 {
		t.Fatalf("scenario sent %d webhooks, want 19", cost.webhooks)
	}
	if cost.requests > maxLifecycleRequests {
		t.Errorf("%d GitHub requests for one PR's life, want at most %d (a third of policy-bot's 102)", cost.requests, maxLifecycleRequests)
	}
	if cost.charged > maxLifecycleCharged {
		t.Errorf("%d charged GitHub requests for one PR's life, want at most %d", cost.charged, maxLifecycleCharged)
	}
	if cost.writes != cost.distinct {
		t.Errorf("%d decision writes for %d distinct results: a write that changed nothing", cost.writes, cost.distinct)
	}
	if a, b := costs[0], costs[1]; a.requests != b.requests || a.charged != b.charged || a.writes != b.writes || a.evaluations != b.evaluations {
		t.Errorf("counts differ from run to run:\n%v\n%v", a, b)
	}
}

// playBurst opens a PR, approves it, then sends ten check completions (the 5 CI checks,
// 2 required, and 5 more) at once, as GitHub does when a workflow's jobs end together.
func playBurst(t *testing.T, h *e2etest.Harness, number int) (lifecycleCost, time.Duration) {
	t.Helper()
	repo := e2etest.Owner + "/" + e2etest.RepoName
	h.Repo.SetFile("main", ".github/foureyes.yml", lifecyclePolicy)
	h.Repo.SetPermission("bob", "write")
	mark, writeMark := len(h.GH.Requests()), len(h.GH.CheckRunWrites(repo))
	decisionsBefore := countRecords(t, h, store.KindPRDecision)
	pr := h.OpenPR(e2etest.PRSpec{Number: number, Author: "alice"})
	h.WaitIdle()
	h.Approve(number, "bob")
	h.WaitIdle()
	names := append(append([]string{}, ciChecks...), "docs", "sbom", "license", "fmt", "bench")
	payloads := make([]map[string]any, len(names))
	for i, name := range names {
		c := h.Repo.AddCheckRun(pr.HeadSHA, githubtest.CheckRun{Name: name, AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success"})
		payloads[i] = githubtest.CheckRunEvent("completed", h.Repo, c, pr.HeadSHA, "ci-bot")
	}
	sent := time.Now()
	var wg sync.WaitGroup
	for _, p := range payloads {
		wg.Add(1)
		go func() { defer wg.Done(); h.Send("check_run", p) }()
	}
	wg.Wait()
	h.WaitIdle()
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	var final time.Time
	for _, r := range h.GH.Requests()[mark:] {
		if strings.Contains(r.Path, "/check-runs") && r.Method != "GET" && r.Answered.After(final) {
			final = r.Answered
		}
	}
	cost := costSince(h, mark, writeMark)
	cost.webhooks = 2 + len(payloads)
	cost.evaluations = countRecords(t, h, store.KindPRDecision) - decisionsBefore
	return cost, final.Sub(sent)
}

// TestBurstCost: ten completions at once, with the PR's opening and approval, stay under
// the 25 requests.
func TestBurstCost(t *testing.T) {
	h := e2etest.Start(t)
	cost, _ := playBurst(t, h, 70)
	t.Logf("burst: %v", cost)
	if cost.requests > maxBurstRequests {
		t.Errorf("%d GitHub requests for a PR opened, approved and ten check completions, want at most %d", cost.requests, maxBurstRequests)
	}
	if cost.writes != cost.distinct {
		t.Errorf("%d decision writes for %d distinct results", cost.writes, cost.distinct)
	}
}
