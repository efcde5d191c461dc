package health

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

func newProber(t *testing.T) (*Prober, *githubtest.Server, *githubtest.Repo, store.Store) {
	t.Helper()
	gh := githubtest.New(t)
	gh.AddInstallation(7, "acme")
	repo := gh.AddRepo("acme/pay", 7)
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Prober{Clients: gh.ClientCreator(t), Store: st, AppID: gh.AppID, CheckName: "foureyes"}, gh, repo, st
}

func healthRecords(t *testing.T, st store.Store) []store.Record {
	t.Helper()
	var out []store.Record
	err := st.Query(context.Background(), store.Filter{Kinds: []store.Kind{store.KindControlHealth}}, func(r store.Record) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Probes against the fake GitHub: a record on every change of state, none when nothing
// changed, rule types go-github does not know are no obstacle.
func TestProbeRecordsStateChanges(t *testing.T) {
	p, gh, repo, st := newProber(t)
	ctx := context.Background()
	steps := []struct {
		name    string
		arrange func()
		want    State
		records int
	}{
		{"nothing required", func() {}, Missing, 1},
		{"probed again, unchanged", func() {}, Missing, 1},
		{"ruleset pins the check and requires PRs", func() {
			repo.SetBranchRules("main", githubtest.RequiredCheckRule("foureyes", gh.AppID, 11), githubtest.PullRequestRule(1, 11),
				map[string]any{"type": "merge_queue", "ruleset_id": 12, "parameters": map[string]any{"merge_method": "SQUASH"}},
				map[string]any{"type": "copilot_code_review", "ruleset_id": 13})
		}, Enforced, 2},
		{"no administration: read changes nothing", func() { repo.SetAdministrationForbidden(true) }, Enforced, 2},
		{"ruleset unpinned", func() {
			repo.SetBranchRules("main", githubtest.RequiredCheckRule("foureyes", 0, 11), githubtest.PullRequestRule(1, 11))
		}, Unpinned, 3},
		{"ruleset removed, classic protection pinned", func() {
			repo.SetAdministrationForbidden(false)
			repo.SetBranchRules("main")
			repo.SetBranchProtection("main", map[string]int64{"foureyes": gh.AppID}, true)
		}, Enforced, 4},
		{"default branch moved to an unprotected branch", func() { repo.SetDefaultBranch("trunk") }, Missing, 5},
	}
	for _, s := range steps {
		s.arrange()
		got, err := p.Probe(ctx, 7, "acme", "pay", "")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		recs := healthRecords(t, st)
		if got.Result.State != s.want || len(recs) != s.records || recs[len(recs)-1].Outcome != string(s.want) {
			t.Fatalf("%s: state %s (%s), %d records; want %s and %d", s.name, got.Result.State, got.Result.Reason, len(recs), s.want, s.records)
		}
	}
	if last := healthRecords(t, st); last[len(last)-1].Subject != "branch:trunk" {
		t.Errorf("the last record names %q, want branch:trunk", last[len(last)-1].Subject)
	}
}

func TestProbeUnreadableRepository(t *testing.T) {
	p, _, _, st := newProber(t)
	got, err := p.Probe(context.Background(), 7, "acme", "gone", "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Result.State != Unknown || len(healthRecords(t, st)) != 1 {
		t.Errorf("got %+v", got.Result)
	}
}

func TestProbeAll(t *testing.T) {
	p, gh, repo, st := newProber(t)
	gh.AddRepo("acme/ledger", 7)
	repo.SetBranchRules("main", githubtest.RequiredCheckRule("foureyes", gh.AppID, 1), githubtest.PullRequestRule(1, 1))
	cc := gh.ClientCreator(t)
	l := &Loop{Prober: p, App: cc.NewAppClient, Leader: st}
	n, err := l.ProbeAll(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("probed %d: %v", n, err)
	}
	got := map[string]string{}
	for _, r := range healthRecords(t, st) {
		got[r.Repository] = r.Outcome
	}
	if got["acme/pay"] != "enforced" || got["acme/ledger"] != "missing" {
		t.Errorf("states %v", got)
	}
}
