package server_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
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
