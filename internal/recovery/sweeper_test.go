package recovery_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/recovery"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// sweepNow is the sweeper's injected clock; every age below is relative to it.
var sweepNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) time.Time { return sweepNow.Add(-d) }

func head(n int) string { return fmt.Sprintf("%040x", 0xabc000+n) }

// sweepPR is one open (or closed) PR on the fake, with what the store knows of it.
type sweepPR struct {
	repo      string
	number    int
	closed    bool
	ghUpdated time.Duration   // GitHub's updated_at, ago
	run       *store.CheckRun // foureyes' run on the head, nil: none
	lastEvent time.Duration   // store.PR LastEventAt, ago; 0: PR unknown to the store
}

func completed(updated time.Duration) *store.CheckRun {
	return &store.CheckRun{Status: "completed", Conclusion: "failure", UpdatedAt: ago(updated)}
}

func inProgress(updated time.Duration) *store.CheckRun {
	return &store.CheckRun{Status: "in_progress", UpdatedAt: ago(updated)}
}

// sweepFixture: installation 7 (acme) with acme/pay and acme/web, installation 8 (other)
// with other/svc; the PRs of the cases.
var sweepFixture = []sweepPR{
	{repo: "acme/pay", number: 1, ghUpdated: 6 * time.Hour, run: completed(time.Hour), lastEvent: 2 * time.Hour},      // current
	{repo: "acme/pay", number: 2, ghUpdated: 6 * time.Hour},                                                           // never evaluated: missing
	{repo: "acme/pay", number: 3, ghUpdated: 6 * time.Hour, run: inProgress(2 * time.Hour), lastEvent: 3 * time.Hour}, // evaluation died: stuck
	{repo: "acme/pay", number: 7, closed: true, ghUpdated: time.Hour},                                                 // closed: not listed
	{repo: "acme/web", number: 4, ghUpdated: 6 * time.Hour, run: completed(time.Hour), lastEvent: 30 * time.Minute},   // event never evaluated
	// approved while the server was down (and longer than GitHub keeps deliveries): only
	// GitHub's updated_at shows it.
	{repo: "acme/web", number: 5, ghUpdated: 2 * time.Hour, run: completed(5 * time.Hour), lastEvent: 5 * time.Hour},
	{repo: "other/svc", number: 6, ghUpdated: 14 * 24 * time.Hour, run: inProgress(13*24*time.Hour + time.Hour), lastEvent: 14 * 24 * time.Hour}, // near 14-day staleness
}

var sweepWant = map[string]recovery.Reason{
	"acme/pay#2":  recovery.ReasonMissing,
	"acme/pay#3":  recovery.ReasonInProgress,
	"acme/web#4":  recovery.ReasonBehindEvent,
	"acme/web#5":  recovery.ReasonUpdatedOnGitHub,
	"other/svc#6": recovery.ReasonNearStale,
}

func setupSweep(t *testing.T, st store.Store) *githubtest.Server {
	t.Helper()
	ctx := context.Background()
	gh := githubtest.New(t)
	gh.AddInstallation(7, "acme")
	gh.AddInstallation(8, "other")
	repos := map[string]*githubtest.Repo{
		"acme/pay": gh.AddRepo("acme/pay", 7), "acme/web": gh.AddRepo("acme/web", 7), "other/svc": gh.AddRepo("other/svc", 8),
	}
	for _, p := range sweepFixture {
		state := "open"
		if p.closed {
			state = "closed"
		}
		r := repos[p.repo]
		r.SetPR(githubtest.PR{Number: p.number, Title: "PAY-1", Author: "alice", State: state, BaseRef: "main",
			HeadRef: fmt.Sprintf("f%d", p.number), HeadSHA: head(p.number), CreatedAt: ago(30 * 24 * time.Hour), UpdatedAt: ago(p.ghUpdated)})
		if p.number == 5 {
			r.AddReview(5, githubtest.Review{User: "bob", State: "APPROVED", CommitID: head(5), SubmittedAt: ago(p.ghUpdated)})
		}
		if p.run != nil {
			c := *p.run
			c.Repo, c.SHA, c.Name, c.ID = p.repo, head(p.number), "foureyes", int64(p.number)
			if err := st.PutCheckRun(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if p.lastEvent != 0 {
			if err := st.UpsertPR(ctx, store.PR{Repo: p.repo, Number: p.number, InstallationID: r.InstallationID,
				HeadSHA: head(p.number), Open: !p.closed, LastEventAt: ago(p.lastEvent)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return gh
}

// evaluations records Evaluate calls; like the real evaluator it leaves a current,
// completed run behind, so a later sweep finds nothing to do for that PR.
type evaluations struct {
	mu  sync.Mutex
	got map[string]recovery.Reason
	n   int
	st  store.Store
	err error // returned by every call
}

func (e *evaluations) evaluate(ctx context.Context, r recovery.Reevaluation) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.got == nil {
		e.got = map[string]recovery.Reason{}
	}
	e.got[fmt.Sprintf("%s#%d", r.Repo, r.Number)] = r.Reason
	e.n++
	if e.err != nil {
		return e.err
	}
	return e.st.PutCheckRun(ctx, store.CheckRun{Repo: r.Repo, SHA: r.HeadSHA, Name: "foureyes", Status: "completed",
		Conclusion: "success", UpdatedAt: sweepNow})
}

func newSweeper(t *testing.T, gh *githubtest.Server, st store.Store, ev *evaluations) (*recovery.Sweeper, *recovery.Counts) {
	cc := clients(t, gh)
	m, counts := recovery.NewCountMetrics()
	return &recovery.Sweeper{
		Installations: recovery.AppInstallations(appClient(t, gh)),
		Clients:       cc.NewInstallationClient,
		Store:         st,
		Evaluate:      ev.evaluate,
		Now:           func() time.Time { return sweepNow },
		Metrics:       m,
		Log:           testLog(t),
	}, counts
}

// TestSweeperReevaluatesOutOfDatePRs: one sweep re-evaluates exactly the PRs whose run is
// missing, stuck, behind an event, behind a GitHub update (approved while down), or near
// staleness; a second sweep, after those evaluations, has nothing to do.
func TestSweeperReevaluatesOutOfDatePRs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openStore(t, b)
		gh := setupSweep(t, st)
		ev := &evaluations{st: st}
		s, counts := newSweeper(t, gh, st, ev)

		res, err := s.RunOnce(ctx)
		if err != nil {
			t.Fatalf("sweep: %v", err)
		}
		if fmt.Sprint(ev.got) != fmt.Sprint(sweepWant) {
			t.Errorf("evaluated %v, want %v", ev.got, sweepWant)
		}
		if res.Installations != 2 || res.Repos != 3 || res.PRsChecked != 6 || res.Truncated != "" {
			t.Errorf("result %+v, want 2 installations, 3 repos, 6 open PRs, not truncated", res)
		}
		if counts.PRsChecked.Value() != 6 || counts.PRsReevaluated.Value() != 5 {
			t.Errorf("metrics checked %d reevaluated %d, want 6 5", counts.PRsChecked.Value(), counts.PRsReevaluated.Value())
		}
		if cp, _ := st.GetCheckpoint(ctx, recovery.CheckpointSweepLast); cp != sweepNow.Format(time.RFC3339) {
			t.Errorf("checkpoint %s = %q", recovery.CheckpointSweepLast, cp)
		}

		ev.got = nil
		if _, err := s.RunOnce(ctx); err != nil {
			t.Fatalf("second sweep: %v", err)
		}
		if len(ev.got) != 0 {
			t.Errorf("second sweep evaluated %v, want nothing", ev.got)
		}
	})
}

// TestSweeperBounds: bounded sweeps resume where the last one stopped, and a rate-limited
// installation is left while the others are swept.
func TestSweeperBounds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxEvals int
		fail     func(gh *githubtest.Server)
		evalErr  error
		runs     [][]string // repos#numbers evaluated by each run, sorted
		skipped  []int64    // installations left by the first run
	}{
		{
			name: "max evaluations: later runs resume after the last finished repo", maxEvals: 2,
			runs: [][]string{{"acme/pay#2", "acme/pay#3"}, {"acme/web#4", "acme/web#5"}, {"other/svc#6"}, {}},
		},
		{
			name: "primary rate limit leaves the installation, the others are swept",
			fail: func(gh *githubtest.Server) {
				gh.Fail("GET", "/repos/acme/pay/pulls", http.StatusForbidden, 1,
					map[string]string{"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"})
			},
			runs:    [][]string{{"other/svc#6"}, {"acme/pay#2", "acme/pay#3", "acme/web#4", "acme/web#5"}},
			skipped: []int64{7},
		},
		{
			name: "a failing evaluation is counted and retried next sweep", evalErr: fmt.Errorf("boom"),
			runs: [][]string{
				{"acme/pay#2", "acme/pay#3", "acme/web#4", "acme/web#5", "other/svc#6"},
				{"acme/pay#2", "acme/pay#3", "acme/web#4", "acme/web#5", "other/svc#6"},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, storetest.New(t, "sqlite"))
			gh := setupSweep(t, st)
			if tc.fail != nil {
				tc.fail(gh)
			}
			ev := &evaluations{st: st, err: tc.evalErr}
			s, _ := newSweeper(t, gh, st, ev)
			s.MaxEvaluations = tc.maxEvals
			for i, want := range tc.runs {
				ev.got = nil
				res, err := s.RunOnce(ctx)
				if err != nil {
					t.Fatalf("run %d: %v", i+1, err)
				}
				got := []string{}
				for k := range ev.got {
					got = append(got, k)
				}
				sort.Strings(got)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("run %d evaluated %v, want %v (truncated %q)", i+1, got, want, res.Truncated)
				}
				if i == 0 && fmt.Sprint(res.Skipped) != fmt.Sprint(tc.skipped) {
					t.Errorf("run 1 skipped installations %v, want %v", res.Skipped, tc.skipped)
				}
				if tc.evalErr != nil && res.Errors != len(want) {
					t.Errorf("run %d errors %d, want %d", i+1, res.Errors, len(want))
				}
			}
		})
	}
}
