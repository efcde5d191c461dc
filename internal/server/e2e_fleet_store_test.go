package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/config"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// proxiedPostgres is a fresh PostgreSQL schema reached through a proxy the test can cut.
func proxiedPostgres(t *testing.T) (string, *e2etest.TCPProxy) {
	t.Helper()
	b := storetest.New(t, "postgres")
	u, err := url.Parse(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	p := e2etest.StartTCPProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// While the database is unreachable the webhook route answers 503 (never 2xx for a
// delivery it could not store) and health says so; once it is back the same delivery,
// sent again as GitHub's redelivery would, is accepted and processed.
func TestStoreDownAnswers503ThenTheRedeliveryIsProcessed(t *testing.T) {
	dsn, proxy := proxiedPostgres(t)
	h := strictHarness(t, e2etest.WithDSN(dsn))
	pr := h.OpenPR(e2etest.PRSpec{Number: 7, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()

	proxy.Cut()
	rv := h.Repo.AddReview(7, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA})
	ev := githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob")
	id := githubtest.NewGUID()
	resp, err := h.Sender.SendDelivery("pull_request_review", id, ev)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("webhook with the store down: status %d, want 503", resp.StatusCode)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	health, err := http.Get(h.URL() + "/api/health")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("health with the store down: %d, want 503", health.StatusCode)
	}

	proxy.Restore(t)
	h.SendID("pull_request_review", id, ev)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}

// Work that outlives its lease keeps it: the worker's heartbeat renews the lease, so the
// other replica never takes the delivery over and the PR is evaluated once.
func TestLongWorkKeepsItsLeaseAcrossReplicas(t *testing.T) {
	b := storetest.New(t, "postgres")
	h := strictHarness(t, e2etest.WithDSN(b.DSN), e2etest.WithConfig(func(c *config.Config) {
		c.Inbox.Lease = config.Duration(time.Second)
	}))
	other := h.AddReplica()
	h.Repo.SetPR(githubtest.PR{Number: 9, Author: "alice", State: "open", BaseRef: "main", HeadRef: "feature/x",
		HeadSHA: e2etest.SHA("pr9"), Title: "PAY-9 slow", Files: []string{"a.go"}})
	h.GH.SetLatency(400 * time.Millisecond) // one evaluation: several requests, over 3 leases
	start := time.Now()
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(9), "alice"))
	h.CheckRun(e2etest.SHA("pr9"), e2etest.InProgress)
	h.WaitIdle()
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("the evaluation took %s: not longer than the 1s lease, the test proves nothing", took)
	}
	// A graceful stop waits for running work: a takeover's second evaluation would end
	// before these return.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = other.Server.Shutdown(ctx)
	h.Stop()
	gets := 0
	for _, r := range h.GH.Requests() {
		if r.Method == "GET" && r.Path == "/repos/acme/payments/pulls/9" {
			gets++
		}
	}
	if gets != 1 {
		t.Errorf("the PR was read %d times, want once: its delivery's lease was taken over by the other replica", gets)
	}
}

// Back-pressure: a replica holds at most inbox.max_in_flight deliveries (running, or
// waiting for the coalescer); the rest stay pending in the inbox, not in memory.
func TestInFlightDeliveriesAreBounded(t *testing.T) {
	h := strictHarness(t, e2etest.WithConfig(func(c *config.Config) {
		c.Workers, c.Inbox.MaxInFlight = 2, 2
	}))
	h.GH.SetLatency(150 * time.Millisecond)
	var ids []string
	for n := 1; n <= 12; n++ {
		h.Repo.SetPR(githubtest.PR{Number: n, Author: "alice", State: "open", BaseRef: "main", HeadRef: fmt.Sprintf("f/%d", n),
			HeadSHA: e2etest.SHA(fmt.Sprintf("bp%d", n)), Title: fmt.Sprintf("PAY-%d", n), Files: []string{"a.go"}})
		ids = append(ids, h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(n), "alice")))
	}
	maxLeased, sawPending := 0, false
	e2etest.Eventually(t, 60*time.Second, "every delivery done", func() bool {
		leased, done := 0, 0
		for _, id := range ids {
			d, err := h.Store.GetDelivery(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			switch d.Status {
			case store.DeliveryLeased:
				leased++
			case store.DeliveryPending:
				sawPending = true
			case store.DeliveryDone:
				done++
			}
		}
		maxLeased = max(maxLeased, leased)
		return done == len(ids)
	})
	if maxLeased > 2 {
		t.Errorf("up to %d deliveries were leased at once, want at most inbox.max_in_flight = 2", maxLeased)
	}
	if !sawPending {
		t.Error("no delivery ever waited in the inbox: the bound was not exercised")
	}
}
