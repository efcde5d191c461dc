package server_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// An evaluation whose PR lock is lost while it runs (its PostgreSQL session ends: a
// restart or failover) does not write its check run: another replica may have taken the
// lock, evaluated newer facts and published, and this older decision would overwrite it
// (the chaos test saw PRs left on a stale decision after a PostgreSQL restart). The
// delivery is retried under a new lock and then publishes.
func TestEvaluationThatLostItsPRLockDoesNotPublish(t *testing.T) {
	b := storetest.New(t, "postgres")
	u, err := url.Parse(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf("fleet-prlock-%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	h := e2etest.Start(t, e2etest.WithDSN(u.String()))
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Repo.SetPR(githubtest.PR{Number: 47, Title: "PAY-47 x", Author: "alice", State: "open", BaseRef: "main",
		BaseSHA: e2etest.SHA("base-main"), HeadRef: "x47", HeadSHA: e2etest.SHA("pr47")})
	held, release := h.GH.Hold("GET", "/repos/acme/payments/pulls/47/commits")
	t.Cleanup(release)
	id := h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(47), "alice"))
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		t.Fatal("PR 47's evaluation never asked GitHub for its commits")
	}
	// Every session of the server ends while the evaluation holds PR 47's lock.
	var killed int
	if err := b.Raw(t).QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no session of the server terminated")
	}
	release()
	h.CheckRun(e2etest.SHA("pr47"), func(githubtest.CheckRun) bool { return true })
	d, err := h.Store.GetDelivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Attempts == 0 {
		t.Fatalf("the check run was written by the attempt that lost its PR lock (delivery %s, %d attempts)", d.Status, d.Attempts)
	}
	if !strings.Contains(h.LogText(), "lock lost") {
		t.Error("no log line says the evaluation's lock was lost")
	}
}
