package chaos

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// The CI form is bounded (seconds of load); -chaos runs the full size: 2,000
// webhooks over 100 PRs at 200/s. Each size flag overrides either form.
var (
	chaosFull     = flag.Bool("chaos", false, "run the fleet chaos test at full size (2,000 webhooks, 100 PRs, 200/s)")
	chaosN        = flag.Int("chaos.n", 0, "webhooks to send (default 400; 2000 with -chaos)")
	chaosPRs      = flag.Int("chaos.prs", 0, "pull requests (default 20; 100 with -chaos)")
	chaosRate     = flag.Float64("chaos.rate", 0, "webhooks per second (default 50; 200 with -chaos)")
	chaosReplicas = flag.Int("chaos.replicas", 3, "foureyes processes behind the round-robin proxy")
	chaosCalm     = flag.Bool("chaos.calm", false, "no kill, no PostgreSQL restart, no 502s: throughput alone")
	chaosLatency  = flag.Duration("chaos.github-latency", 20*time.Millisecond, "latency of every fake GitHub answer")
)

type chaosSize struct {
	n, prs, replicas int
	rate             float64
}

func size() chaosSize {
	s := chaosSize{n: 400, prs: 20, rate: 50, replicas: *chaosReplicas}
	if *chaosFull {
		s = chaosSize{n: 2000, prs: 100, rate: 200, replicas: *chaosReplicas}
	}
	if *chaosN > 0 {
		s.n = *chaosN
	}
	if *chaosPRs > 0 {
		s.prs = *chaosPRs
	}
	if *chaosRate > 0 {
		s.rate = *chaosRate
	}
	return s
}

const (
	installation = int64(4242)
	repoName     = "acme/payments"
	secret       = "chaos-webhook-secret"
	// The test's PostgreSQL clusters use the fleet range of ports.
	pgPortFrom, pgPortTo = 56100, 56199
)

// TestFleetSurvivesChaos: replicas of the real binary on a PostgreSQL cluster of the
// test's own, behind a round-robin proxy; signed webhooks over many PRs; during the load
// one replica is killed with SIGKILL and restarted 5 s later, PostgreSQL is restarted
// (pg_ctl restart -m fast), and GitHub answers 502 to 10% of API requests. Afterwards:
// every PR's check shows what its final facts give, one check run per head SHA, no fact
// recorded twice, `foureyes audit verify` passes, and every acknowledged delivery is done.
func TestFleetSurvivesChaos(t *testing.T) {
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("chaos test: starts PostgreSQL and several processes")
	}
	sz := size()
	k := max(4, sz.n/sz.prs)
	bin := buildBinary(t)
	pg := startCluster(t, pgPortFrom, pgPortTo)
	ctx := context.Background()

	// The test's own view of the store: migrated before the replicas start, read for
	// the checks afterwards.
	st, err := store.Open(ctx, pg.DSN)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()

	gh := githubtest.New(t)
	gh.SetLatency(*chaosLatency) // evaluations overlap as they do against the real API
	gh.AddInstallation(installation, "acme")
	repo := gh.AddRepo(repoName, installation)
	repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	for _, u := range []string{"alice", "bob", "carol"} {
		repo.SetPermission(u, "write")
	}

	logDir := t.TempDir()
	if d := os.Getenv("FOUREYES_CHAOS_LOGS"); d != "" {
		logDir = d
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"FOUREYES_SERVER_ADDRESS=127.0.0.1",
		"FOUREYES_STORE_DRIVER=postgres",
		"FOUREYES_STORE_DSN=" + pg.DSN,
		"FOUREYES_GITHUB_WEB_URL=" + gh.URL,
		"FOUREYES_GITHUB_V3_API_URL=" + gh.APIURL,
		"FOUREYES_GITHUB_V4_API_URL=" + gh.GraphQLURL,
		fmt.Sprintf("FOUREYES_GITHUB_APP_INTEGRATION_ID=%d", gh.AppID),
		"FOUREYES_GITHUB_APP_WEBHOOK_SECRET=" + secret,
		"FOUREYES_GITHUB_APP_PRIVATE_KEY=" + string(gh.PrivateKeyPEM),
		"FOUREYES_GITHUB_CREDENTIALS_FILE=" + filepath.Join(logDir, "credentials.yml"),
		"FOUREYES_RETRY_BASE_DELAY=50ms",
		"FOUREYES_RETRY_MAX_DELAY=1s",
		"FOUREYES_RETRY_MAX_ATTEMPTS=1000", // 502s and restarts are retried, never given up
		"FOUREYES_RECOVERY_DISABLED=true",
		"FOUREYES_INBOX_LEASE=5s", // a killed replica's work is taken over within seconds
		"FOUREYES_LOG_LEVEL=info",
	}
	replicas := make([]*replica, sz.replicas)
	backends := make([]string, sz.replicas)
	for i := range replicas {
		replicas[i] = newReplica(t, fmt.Sprintf("replica-%d", i+1), bin, env, logDir)
		replicas[i].start()
		backends[i] = replicas[i].url()
	}
	proxy := startRoundRobin(t, backends)
	sender := githubtest.NewSender(proxy.srv.URL+"/api/github/hook", secret)

	prs := scripts(repo, sz.prs, k)
	events := interleave(prs, 4)
	loadFor := time.Duration(float64(len(events)) / sz.rate * float64(time.Second))
	t.Logf("chaos: %d webhooks over %d PRs at %.0f/s (%s of load), %d replicas, calm=%v",
		len(events), sz.prs, sz.rate, loadFor, sz.replicas, *chaosCalm)

	var (
		mu       sync.Mutex
		acked    = map[string]string{} // delivery id -> event
		syncs    = map[string]bool{}   // synchronize deliveries (each records one push)
		attempts int
		wg       sync.WaitGroup
		chaosWG  sync.WaitGroup
		sendErrs []error
	)
	sendCtx, cancelSends := context.WithTimeout(ctx, loadFor+3*time.Minute)
	defer cancelSends()
	if !*chaosCalm {
		gh.FailRandomly(0.10, 502, 16)
		victim := replicas[len(replicas)-1]
		chaosWG.Add(2)
		time.AfterFunc(loadFor/5, func() {
			defer chaosWG.Done()
			victim.kill()
			t.Logf("chaos: %s killed (SIGKILL) at %s", victim.name, loadFor/5)
			time.Sleep(5 * time.Second)
			victim.start()
			t.Logf("chaos: %s restarted 5s later", victim.name)
		})
		time.AfterFunc(loadFor*45/100, func() {
			defer chaosWG.Done()
			took := pg.restart(t)
			t.Logf("chaos: PostgreSQL restarted (pg_ctl restart -m fast) at %s, took %s", loadFor*45/100, took)
		})
	}

	start := time.Now()
	tick := time.NewTicker(time.Duration(float64(time.Second) / sz.rate))
	for _, ev := range events {
		<-tick.C
		event, payload := ev()
		id := githubtest.NewGUID()
		synchronize := event == "pull_request" && strings.Contains(string(payload[:min(len(payload), 64)]), `"synchronize"`)
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := sendUntilAcknowledged(sendCtx, sender, event, id, payload)
			mu.Lock()
			defer mu.Unlock()
			attempts += n
			if err != nil {
				sendErrs = append(sendErrs, err)
				return
			}
			acked[id] = event
			if synchronize {
				syncs[id] = true
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	ackedIn := time.Since(start)
	chaosWG.Wait()
	failed502 := gh.RandomFailures()
	gh.FailRandomly(0, 0, 0)
	if len(sendErrs) > 0 {
		t.Fatalf("%d deliveries never acknowledged, first: %v", len(sendErrs), sendErrs[0])
	}

	// Processed: the inbox holds nothing pending or leased.
	e2etest.Eventually(t, 3*time.Minute, "the inbox to drain", func() bool {
		n, err := st.Depth(ctx)
		return err == nil && n == 0
	})
	processedIn := time.Since(start)
	throughput := float64(len(acked)) / processedIn.Seconds()
	t.Logf("chaos: %d deliveries acknowledged in %s (%d attempts, %d GitHub 502s), all processed in %s: %.1f deliveries/s with %d replica(s)",
		len(acked), ackedIn.Round(time.Millisecond), attempts, failed502, processedIn.Round(time.Millisecond), throughput, sz.replicas)

	// Every PR's check shows what its final facts give.
	runOf := func(sha string) (githubtest.CheckRun, int) {
		var found githubtest.CheckRun
		n := 0
		for _, c := range gh.OwnCheckRuns(repoName) {
			if c.HeadSHA == sha && c.Name == "foureyes" {
				found = c
				n++
			}
		}
		return found, n
	}
	wrong := func() []string {
		var out []string
		for _, p := range prs {
			run, _ := runOf(repo.PR(p.number).HeadSHA)
			if !p.class.want(run) {
				out = append(out, fmt.Sprintf("#%d (%s): %s/%s %q", p.number, p.class, run.Status, run.Conclusion, run.Output.Title))
			}
		}
		return out
	}
	deadline := time.Now().Add(60 * time.Second)
	converging := time.Now()
	defer func() { t.Logf("chaos: checks converged in %s", time.Since(converging).Round(time.Millisecond)) }()
	for bad := wrong(); len(bad) > 0; bad = wrong() {
		if time.Now().After(deadline) {
			t.Errorf("%d PRs do not show their final decision: %s", len(bad), strings.Join(bad[:min(len(bad), 10)], "; "))
			for _, r := range replicas {
				t.Logf("%s log tail:\n%s", r.name, tail(r.log.Name(), 20))
			}
			break
		}
		time.Sleep(100 * time.Millisecond)
	}

	// At most one check run per head SHA.
	perSHA := map[string]int{}
	for _, c := range gh.OwnCheckRuns(repoName) {
		if c.Name == "foureyes" {
			perSHA[c.HeadSHA]++
		}
	}
	for sha, n := range perSHA {
		if n > 1 {
			t.Errorf("head %s has %d foureyes check runs, want 1", sha, n)
		}
	}

	// No acknowledged delivery lost or failed.
	for id, event := range acked {
		d, err := st.GetDelivery(ctx, id)
		switch {
		case err != nil:
			t.Errorf("acknowledged %s delivery %s: %v", event, id, err)
		case d.Status != store.DeliveryDone:
			t.Errorf("acknowledged %s delivery %s is %s (%s)", event, id, d.Status, d.LastError)
		}
	}

	// No fact recorded twice: one push record per synchronize delivery, and no decision
	// that repeats the PR's previous one.
	pushes := map[string]int{}
	lastDecision := map[int]string{}
	var records, decisions, repeats int
	err = st.Scan(ctx, 0, func(r store.Record) error {
		records++
		switch r.Kind {
		case store.KindPush:
			pushes[r.DeliveryID]++
		case store.KindPRDecision, store.KindPolicyError:
			decisions++
			c := store.DecisionContent(r)
			if lastDecision[r.PR] == c {
				repeats++
			}
			lastDecision[r.PR] = c
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan the audit log: %v", err)
	}
	for id := range syncs {
		if pushes[id] != 1 {
			t.Errorf("synchronize delivery %s has %d push records, want 1", id, pushes[id])
		}
	}
	if len(pushes) != len(syncs) {
		t.Errorf("%d deliveries recorded pushes, want the %d synchronize deliveries", len(pushes), len(syncs))
	}
	if repeats > 0 {
		t.Errorf("%d decision records repeat the PR's previous decision (same facts, same outcome)", repeats)
	}
	t.Logf("chaos: %d audit records, %d decisions, %d pushes, %d heads with a check run", records, decisions, len(pushes), len(perSHA))

	// The chain verifies with the released command.
	stopping := time.Now()
	var stopWG sync.WaitGroup
	for _, r := range replicas {
		stopWG.Add(1)
		go func() { defer stopWG.Done(); r.stop() }()
	}
	stopWG.Wait()
	t.Logf("chaos: replicas stopped in %s", time.Since(stopping).Round(time.Millisecond))
	out, err := exec.Command(bin, "audit", "verify", "--store", pg.DSN).CombinedOutput()
	if err != nil {
		t.Errorf("foureyes audit verify: %v\n%s", err, out)
	}
	if t.Failed() {
		names := make([]string, 0, len(replicas))
		for _, r := range replicas {
			names = append(names, r.log.Name())
		}
		sort.Strings(names)
		t.Logf("replica logs: %s", strings.Join(names, ", "))
	}
}
