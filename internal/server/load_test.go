package server_test

import (
	"flag"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// The load tool: go test ./internal/server -run TestLoad -load [-load.n 2000 -load.rate 200]
// sends signed webhooks at a fixed rate to the real server (SQLite store) backed by the
// fake GitHub, and reports ack latency, evaluations per second and GitHub requests per
// evaluation. It is not part of the normal run: it measures, it does not assert timings.
var (
	loadRun       = flag.Bool("load", false, "run the webhook load test")
	loadN         = flag.Int("load.n", 2000, "webhooks to send")
	loadRate      = flag.Int("load.rate", 200, "webhooks per second")
	loadPRs       = flag.Int("load.prs", 50, "open pull requests the webhooks are spread over")
	loadGHLatency = flag.Duration("load.github-latency", 30*time.Millisecond, "latency of every fake GitHub answer")
)

func TestLoad(t *testing.T) {
	if !*loadRun {
		t.Skip("load test: run with -load")
	}
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Repo.SetPermission("bob", "write")
	heads := make([]string, *loadPRs)
	for i := range heads {
		pr := h.OpenPR(e2etest.PRSpec{Number: 1000 + i, Author: "alice"})
		heads[i] = pr.HeadSHA
	}
	h.WaitIdle()
	h.GH.SetLatency(*loadGHLatency)
	h.GH.ResetRequests()
	decisionsBefore := countRecords(t, h, store.KindPRDecision)

	payloads := make([][]byte, *loadN)
	for i := range payloads {
		sha := heads[i%len(heads)]
		// One in ten is the required build (re-run); the rest are checks no rule requires,
		// which cost no evaluation (skipped).
		name := fmt.Sprintf("job-%d", i)
		if i%10 == 0 {
			name = "build"
		}
		c := h.Repo.AddCheckRun(sha, githubtest.CheckRun{Name: name, AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success"})
		payloads[i] = marshal(t, githubtest.CheckRunEvent("completed", h.Repo, c, sha, "ci-bot"))
	}
	lat := make([]time.Duration, *loadN)
	var failures int
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(*loadRate)
	start := time.Now()
	for i := range payloads {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			resp, err := h.Sender.Send("check_run", payloads[i])
			lat[i] = time.Since(t0)
			if err != nil || resp.StatusCode != http.StatusOK {
				mu.Lock()
				failures++
				mu.Unlock()
			}
			if resp != nil {
				resp.Body.Close()
			}
		}(i)
	}
	wg.Wait()
	sent := time.Since(start)
	h.WaitIdle()
	total := time.Since(start)
	evals := countRecords(t, h, store.KindPRDecision) - decisionsBefore
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	charged := h.GH.RateLimitedRequests()
	t.Logf("load: %d webhooks at %d/s over %d PRs (sent in %v, %d failed), GitHub latency %v",
		*loadN, *loadRate, *loadPRs, sent.Round(time.Millisecond), failures, *loadGHLatency)
	t.Logf("ack latency: p50 %v, p99 %v, max %v", pct(0.50), pct(0.99), lat[len(lat)-1])
	t.Logf("evaluations: %d in %v = %.1f/s; GitHub requests charged %d = %.2f per evaluation",
		evals, total.Round(time.Millisecond), float64(evals)/total.Seconds(), charged, float64(charged)/float64(max(evals, 1)))
	fmt.Printf("LOAD ack_p50=%v ack_p99=%v evaluations=%d evals_per_s=%.1f requests_per_eval=%.2f failures=%d\n",
		pct(0.50), pct(0.99), evals, float64(evals)/total.Seconds(), float64(charged)/float64(max(evals, 1)), failures)
}
