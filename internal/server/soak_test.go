package server_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// The soak run: go test ./internal/server -run TestSoak -soak -v -timeout 40m
// [-soak.n 100000 -soak.prs 200] sends signed webhooks (check completions, most of no
// required check, some of the required ones; reviews) spread over open PRs to the real
// server, and reports the process's RSS and Go heap at start, once all are sent, every
// 10 s while the inbox drains and once every delivery is processed, with the rates: the
// facts caches, the webhook-derived state, the decision memory and the HTTP caches are
// bounded, so memory must level off.
var (
	soakRun = flag.Bool("soak", false, "run the memory soak test")
	soakN   = flag.Int("soak.n", 100000, "webhooks to send")
	soakPRs = flag.Int("soak.prs", 200, "open pull requests the webhooks are spread over")
)

func TestSoak(t *testing.T) {
	if !*soakRun {
		t.Skip("soak test: run with -soak")
	}
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", lifecyclePolicy)
	h.Repo.SetPermission("bob", "write")
	heads := make([]string, *soakPRs)
	for i := range heads {
		heads[i] = h.OpenPR(e2etest.PRSpec{Number: 2000 + i, Author: "alice"}).HeadSHA
	}
	h.WaitIdle()
	h.ResetLogs()
	rss0, heap0 := memory()
	t.Logf("start: %d open PRs, RSS %s, Go heap %s", *soakPRs, mib(rss0), mib(heap0))
	fmt.Printf("SOAK start: %s\n", memoryParts())

	// The fake's own objects are made once and their events sent again and again, so the
	// fake GitHub (in this process) does not grow with the run.
	names := []string{"build", "test", "lint", "vet", "e2e", "docs", "sbom", "fmt"}
	runs := make([][]githubtest.CheckRun, len(heads))
	reviews := make([]githubtest.Review, len(heads))
	for pr, sha := range heads {
		for j, name := range names {
			conclusion := "success"
			if (pr+j)%7 == 0 {
				conclusion = "failure"
			}
			runs[pr] = append(runs[pr], h.Repo.AddCheckRun(sha, githubtest.CheckRun{Name: name, AppSlug: "github-actions", AppID: 15368,
				Status: "completed", Conclusion: conclusion}))
		}
		reviews[pr] = h.Repo.AddReview(2000+pr, githubtest.Review{User: "bob", State: "COMMENTED", CommitID: sha, SubmittedAt: time.Now()})
	}
	var sent atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				pr := i % len(heads)
				sha := heads[pr]
				var event string
				var payload map[string]any
				if i%50 == 49 {
					event, payload = "pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, h.Repo.PR(2000+pr), reviews[pr], "bob")
				} else {
					event, payload = "check_run", githubtest.CheckRunEvent("completed", h.Repo, runs[pr][(i/len(heads))%len(names)], sha, "ci-bot")
				}
				resp, err := h.Sender.Send(event, marshal(t, payload))
				if err == nil {
					resp.Body.Close()
				}
				n := sent.Add(1)
				if n%2000 == 0 {
					h.ResetLogs() // the harness keeps every log line; the server does not
				}
				if n%20000 == 0 {
					rss, heap := memory()
					backlog, _ := h.Store.Depth(context.Background())
					fmt.Printf("SOAK sent=%d elapsed=%v backlog=%d rss=%s heap=%s\n", n, time.Since(start).Round(time.Second), backlog, mib(rss), mib(heap))
				}
			}
		}()
	}
	for i := range *soakN {
		next <- i
	}
	close(next)
	wg.Wait()
	sentIn := time.Since(start)
	depth := func() int {
		n, err := h.Store.Depth(context.Background())
		if err != nil {
			t.Fatalf("inbox depth: %v", err)
		}
		return n
	}
	backlog := depth()
	rssSent, heapSent := memory()
	fmt.Printf("SOAK all sent in %v (%.0f webhooks/s accepted): backlog=%d rss=%s heap=%s\n", sentIn.Round(time.Second),
		float64(*soakN)/sentIn.Seconds(), backlog, mib(rssSent), mib(heapSent))
	// The backlog a loaded machine builds up drains at the evaluation rate. The inbox is
	// polled once a second (Depth counts the backlog), with a memory line every 10 s.
	drainStart := time.Now()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	printed := drainStart
	for n := backlog; n > 0; n = depth() {
		if time.Since(drainStart) > 30*time.Minute {
			t.Fatalf("inbox not drained after 30 minutes: %d deliveries left of %d", n, backlog)
		}
		h.ResetLogs() // the harness keeps every log line; the server does not
		if time.Since(printed) >= 10*time.Second {
			printed = time.Now()
			rss, heap := memory()
			fmt.Printf("SOAK draining elapsed=%v backlog=%d rss=%s heap=%s\n", time.Since(start).Round(time.Second), n, mib(rss), mib(heap))
		}
		<-poll.C
	}
	drained := time.Since(drainStart)
	h.ResetLogs()
	rss1, heap1 := memory()
	t.Logf("end: %d webhooks in %v, RSS %s (start %s), Go heap %s (start %s)", *soakN, time.Since(start).Round(time.Second),
		mib(rss1), mib(rss0), mib(heap1), mib(heap0))
	fmt.Printf("SOAK webhooks=%d prs=%d total=%v processed=%.0f/s backlog_at_sent=%d drained_in=%v (%.0f/s) rss_start=%s rss_sent=%s rss_end=%s heap_start=%s heap_sent=%s heap_end=%s github_requests=%d\n",
		*soakN, *soakPRs, time.Since(start).Round(time.Second), float64(*soakN)/time.Since(start).Seconds(), backlog,
		drained.Round(time.Second), float64(backlog)/max(drained.Seconds(), 1e-3),
		mib(rss0), mib(rssSent), mib(rss1), mib(heap0), mib(heapSent), mib(heap1), len(h.GH.Requests()))
	fmt.Printf("SOAK end: %s\n", memoryParts())
}

// memory is the process's resident set (Linux /proc) and the Go heap in use, after a GC.
func memory() (rss, heap uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
				var kb uint64
				fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
				rss = kb << 10
			}
		}
	}
	return rss, ms.HeapInuse
}

// memoryParts splits the resident set: anonymous memory (the Go runtime's, of which
// go_held is what it holds from the OS, and SQLite's page caches, which modernc's libc
// allocates outside the Go heap) and file pages (the binary, the WAL index).
func memoryParts() string {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	parts := map[string]uint64{}
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			for _, k := range []string{"RssAnon", "RssFile", "RssShmem"} {
				if v, ok := strings.CutPrefix(line, k+":"); ok {
					var kb uint64
					fmt.Sscanf(strings.TrimSpace(v), "%d", &kb)
					parts[k] = kb << 10
				}
			}
		}
	}
	return fmt.Sprintf("rss_anon=%s rss_file=%s rss_shmem=%s go_held=%s go_heap_inuse=%s go_stacks=%s goroutines=%d",
		mib(parts["RssAnon"]), mib(parts["RssFile"]), mib(parts["RssShmem"]), mib(ms.Sys-ms.HeapReleased),
		mib(ms.HeapInuse), mib(ms.StackInuse), runtime.NumGoroutine())
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
