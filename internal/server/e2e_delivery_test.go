package server_test

import (
	"bytes"
	"context"
	"fmt"
	"github.com/foureyes/foureyes/internal/config"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

func TestBadSignatureIsRefusedAndNeverProcessed(t *testing.T) {
	h := strictHarness(t)
	h.Repo.SetPR(githubtest.PR{Number: 40, Author: "alice", State: "open", BaseRef: "main", HeadRef: "x", HeadSHA: e2etest.SHA("pr40")})
	payload := githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(40), "alice")
	cases := []struct {
		name   string
		secret string
		strip  bool
	}{
		{"wrong secret", "not-the-secret", false},
		{"no signature", e2etest.Secret, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := githubtest.NewSender(h.URL()+"/api/github/hook", tc.secret)
			var resp *http.Response
			var err error
			if tc.strip {
				body := []byte(`{"action":"opened"}`)
				req, _ := http.NewRequest("POST", h.URL()+"/api/github/hook", bytes.NewReader(body))
				req.Header.Set("X-GitHub-Event", "pull_request")
				req.Header.Set("X-GitHub-Delivery", githubtest.NewGUID())
				req.Header.Set("Content-Type", "application/json")
				resp, err = http.DefaultClient.Do(req)
			} else {
				resp, err = s.Send("pull_request", payload)
			}
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401", resp.StatusCode)
			}
		})
	}
	n, _ := h.Store.Depth(context.Background())
	if n != 0 {
		t.Errorf("inbox holds %d deliveries after bad signatures", n)
	}
	if runs := h.GH.OwnCheckRuns(e2etest.Owner + "/" + e2etest.RepoName); len(runs) != 0 {
		t.Errorf("a refused delivery was processed: %d check runs", len(runs))
	}
	if m := metricsText(t, h); !strings.Contains(m, `foureyes_webhook_deliveries_total{event="pull_request",result="bad_signature"} 2`) {
		t.Errorf("bad signatures not counted:\n%s", grep(m, "deliveries_total"))
	}
}

func TestDuplicateDeliveryDoesNothingTheSecondTime(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 41, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	rv := h.Repo.AddReview(41, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	ev := githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob")
	id := githubtest.NewGUID()
	h.SendID("pull_request_review", id, ev)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	before := countRecords(t, h, store.KindPRDecision)
	h.SendID("pull_request_review", id, ev)
	h.WaitIdle()
	time.Sleep(300 * time.Millisecond) // longer than the coalescing window
	if after := countRecords(t, h, store.KindPRDecision); after != before {
		t.Errorf("duplicate delivery evaluated again: %d decisions, then %d", before, after)
	}
	if m := metricsText(t, h); !strings.Contains(m, `result="duplicate"} 1`) {
		t.Errorf("duplicate not counted:\n%s", grep(m, "deliveries_total"))
	}
}

func TestGitHub502ThenRecovers(t *testing.T) {
	h := strictHarness(t)
	// The approval is confirmed with one GraphQL read: GitHub failing it is retried.
	h.GH.Fail("POST", "/graphql", 502, 2, nil)
	pr := h.OpenPR(e2etest.PRSpec{Number: 42, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(42, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	if m := metricsText(t, h); !strings.Contains(m, `result="retried"`) {
		t.Errorf("no retry counted:\n%s", grep(m, "deliveries_total"))
	}
}

func TestRateLimitedRetriesWaitAsGitHubAsks(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		headers func() map[string]string
	}{
		{"primary limit until x-ratelimit-reset", 403, func() map[string]string {
			return map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(time.Now().Add(2*time.Second).Unix(), 10)}
		}},
		{"secondary limit with Retry-After", 429, func() map[string]string {
			return map[string]string{"Retry-After": "1"}
		}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := strictHarness(t)
			n := 46 + i
			// The commits and files (one compare of the PR's base and head) are read on the
			// first evaluation (the PR itself comes with the opened payload).
			h.GH.Fail("GET", "/repos/acme/payments/compare/*", tc.status, 1, tc.headers())
			start := time.Now()
			pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice"})
			h.CheckRun(pr.HeadSHA, e2etest.InProgress)
			if waited := time.Since(start); waited < 900*time.Millisecond {
				t.Errorf("retried after %v, before GitHub allowed it", waited)
			}
		})
	}
}

func TestPermanentFailureIsMarkedFailed(t *testing.T) {
	h := strictHarness(t)
	h.GH.Fail("GET", "/repos/acme/payments/pulls/44/commits", 502, 100, nil)
	h.Repo.SetPR(githubtest.PR{Number: 44, Author: "alice", State: "open", BaseRef: "main", HeadRef: "x", HeadSHA: e2etest.SHA("pr44")})
	id := h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(44), "alice"))
	e2etest.Eventually(t, 60*time.Second, "delivery failed", func() bool {
		d, err := h.Store.GetDelivery(context.Background(), id)
		return err == nil && d.Status == store.DeliveryFailed
	})
	if m := metricsText(t, h); !strings.Contains(m, `result="failed"} 1`) {
		t.Errorf("failure not counted:\n%s", grep(m, "deliveries_total"))
	}
	if runs := h.GH.OwnCheckRuns(e2etest.Owner + "/" + e2etest.RepoName); len(runs) != 0 {
		t.Errorf("a check run was written although the facts could never be read: %+v", runs)
	}
}

func TestRestartProcessesWhatWasLeftInTheInbox(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 45, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	h.Stop()
	// Deliveries accepted just before a crash: stored, never processed.
	h.Repo.AddCheckRun(pr.HeadSHA, githubtest.CheckRun{Name: "build", AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success"})
	rv := h.Repo.AddReview(45, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	st, err := store.Open(context.Background(), h.DSN)
	if err != nil {
		t.Fatal(err)
	}
	body := marshal(t, githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob"))
	if _, err := st.Enqueue(context.Background(), store.Delivery{ID: githubtest.NewGUID(), Event: "pull_request_review", Body: body, ReceivedAt: time.Now(), Status: store.DeliveryPending}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	h.StartAgain()
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}

func TestBodyOver25MBIsRefused(t *testing.T) {
	h := strictHarness(t)
	big := bytes.Repeat([]byte("x"), 25<<20+1)
	resp, err := h.Sender.Send("push", big)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", resp.StatusCode)
	}
}

func TestHealthChecksTheStore(t *testing.T) {
	h := strictHarness(t)
	resp, err := http.Get(h.URL() + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"store":"ok"`) {
		t.Fatalf("health: %d %s", resp.StatusCode, b)
	}
	h.Store.Close()
	resp, err = http.Get(h.URL() + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("health with a closed store: %d, want 503", resp.StatusCode)
	}
}

// A graceful stop (SIGTERM) lets the running evaluation finish and returns deliveries
// whose evaluation has not started to the inbox; the next start processes them.
func TestGracefulStopReturnsInFlightWorkToTheInbox(t *testing.T) {
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) { c.Workers = 1 })) // one evaluation slot
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Repo.SetPermission("bob", "write")
	for _, n := range []int{47, 48} {
		h.Repo.SetPR(githubtest.PR{Number: n, Title: fmt.Sprintf("PAY-%d x", n), Author: "alice", State: "open", BaseRef: "main",
			BaseSHA: e2etest.SHA("base-main"), HeadRef: fmt.Sprintf("x%d", n), HeadSHA: e2etest.SHA(fmt.Sprintf("pr%d", n))})
	}
	// PR 47's evaluation is held inside a GitHub call (its commits) until the test lets it
	// go: it holds the only slot, however slow the machine, while PR 48's waits.
	held, release := h.GH.Hold("GET", "/repos/acme/payments/pulls/47/commits")
	t.Cleanup(release)
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(47), "alice"))
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("PR 47's evaluation never asked GitHub for its commits")
	}
	id := h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(48), "alice"))
	// A store of its own: the stop closes the harness's.
	st, err := store.Open(context.Background(), h.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	status := func() store.Delivery {
		d, err := st.GetDelivery(context.Background(), id)
		if err != nil {
			t.Fatalf("read PR 48's delivery: %v", err)
		}
		return d
	}
	e2etest.Eventually(t, 60*time.Second, "PR 48's delivery leased", func() bool { return status().Status == store.DeliveryLeased })

	stopped := make(chan struct{})
	go func() { defer close(stopped); h.Stop() }()
	// The stop gives PR 48's delivery back at once, while PR 47's evaluation still runs.
	e2etest.Eventually(t, 60*time.Second, "PR 48's delivery back in the inbox", func() bool {
		return status().Status == store.DeliveryPending
	})
	release() // PR 47's evaluation goes on, and the stop waits for it
	select {
	case <-stopped:
	case <-time.After(60 * time.Second):
		t.Fatal("the graceful stop never returned")
	}
	if d := status(); d.Status != store.DeliveryPending || d.Attempts != 0 {
		t.Fatalf("after a graceful stop the delivery is %+v, want pending with no attempt counted", d)
	}
	var evaluated47 bool
	for _, r := range h.GH.OwnCheckRuns("acme/payments") {
		if r.HeadSHA == e2etest.SHA("pr48") {
			t.Fatalf("PR 48 evaluated although its evaluation never started: %+v", r)
		}
		evaluated47 = evaluated47 || r.HeadSHA == e2etest.SHA("pr47")
	}
	if !evaluated47 {
		t.Fatal("the graceful stop did not let PR 47's running evaluation finish (no check run)")
	}
	h.StartAgain()
	h.CheckRun(e2etest.SHA("pr48"), e2etest.InProgress)
}
