package recovery_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// TestSweepAtOrgScale: an org of 500 repositories with 2,000 open PRs, every PR current.
// The first sweep reads each repository's open PRs once; the next one, with nothing
// changed, is answered by conditional requests: at most one charged request per
// repository (issue 15 asks for that bound; foureyes spends none).
func TestSweepAtOrgScale(t *testing.T) {
	const repos, perRepo = 500, 4
	ctx := context.Background()
	st := openStore(t, storetest.New(t, "sqlite"))
	gh := githubtest.New(t)
	gh.AddInstallation(7, "acme")
	for i := range repos {
		name := fmt.Sprintf("acme/svc-%03d", i)
		r := gh.AddRepo(name, 7)
		for j := range perRepo {
			n := j + 1
			sha := fmt.Sprintf("%08x%032x", i, n)
			r.SetPR(githubtest.PR{Number: n, Title: "PAY-1", Author: "alice", State: "open", BaseRef: "main",
				HeadRef: fmt.Sprintf("f%d", n), HeadSHA: sha, CreatedAt: ago(30 * 24 * time.Hour), UpdatedAt: ago(6 * time.Hour)})
			if err := st.PutCheckRun(ctx, store.CheckRun{Repo: name, SHA: sha, Name: "foureyes", ID: int64(i*10 + n),
				Status: "completed", Conclusion: "success", UpdatedAt: ago(time.Hour)}); err != nil {
				t.Fatal(err)
			}
			if err := st.UpsertPR(ctx, store.PR{Repo: name, Number: n, InstallationID: 7, HeadSHA: sha, Open: true,
				LastEventAt: ago(2 * time.Hour)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev := &evaluations{st: st}
	sw, _ := newSweeper(t, gh, st, ev)
	// The server's own client stack: its bounded cache and its middleware.
	cc, err := ghclient.NewClientCreator(gh.Config(), nil, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	sw.Clients = cc.NewInstallationClient
	for sweep := 1; sweep <= 2; sweep++ {
		before, charged0 := len(gh.Requests()), gh.RateLimitedRequests()
		start := time.Now()
		res, err := sw.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		requests, charged := len(gh.Requests())-before, gh.RateLimitedRequests()-charged0
		t.Logf("sweep %d over %d repositories (%d swept, truncated %q), %d open PRs: %d PRs checked, %d re-evaluated, %d GitHub requests, %d charged, in %v",
			sweep, repos, res.Repos, res.Truncated, repos*perRepo, res.PRsChecked, len(res.Reevaluated), requests, charged, time.Since(start).Round(time.Millisecond))
		if res.PRsChecked != repos*perRepo || len(res.Reevaluated) != 0 {
			t.Fatalf("sweep %d checked %d PRs and re-evaluated %d, want %d and 0", sweep, res.PRsChecked, len(res.Reevaluated), repos*perRepo)
		}
		if sweep == 2 && charged > repos {
			t.Errorf("a sweep with nothing changed cost %d charged requests for %d repositories, want at most one each", charged, repos)
		}
	}
}
