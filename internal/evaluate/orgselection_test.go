package evaluate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// The org has no acme/.github: GitHub answers 404, which means "no baseline" only for an
// installation on all repositories. The selection GitHub stated for free (token answer,
// webhook) is used while fresh; GET /installation/repositories only when it is not known
// or too old; and a failed read fails closed (an error, no policy).
func TestOrgBaselineSelectionKnownOrRead(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		fleet      bool
		known      string        // "" = nothing learnt
		age        time.Duration // how long ago it was learnt
		onGitHub   string        // the installation's selection on GitHub
		readFails  bool          // GET /installation/repositories answers 500
		readFirst  bool          // a load before the selection is learnt reads (and caches) it
		wantReads  int
		wantClosed bool // ErrOrgBaselineUnreadable
		wantErr    bool // a GitHub failure: no policy
	}{
		{name: "known all", known: "all", age: 50 * time.Minute, onGitHub: "all", wantReads: 0},
		{name: "known selected", known: "selected", age: time.Minute, onGitHub: "selected", wantReads: 0, wantClosed: true},
		{name: "a webhook's selected overrides a read all", readFirst: true, known: "selected", onGitHub: "all", wantReads: 1, wantClosed: true},
		{name: "known all older than a token's life", known: "all", age: 2 * time.Hour, onGitHub: "selected", wantReads: 1, wantClosed: true},
		{name: "fleet: known all older than the read TTL", fleet: true, known: "all", age: 11 * time.Minute, onGitHub: "selected", wantReads: 1, wantClosed: true},
		{name: "fleet: known all, fresh", fleet: true, known: "all", age: 9 * time.Minute, onGitHub: "all", wantReads: 0},
		{name: "unknown, read all", onGitHub: "all", wantReads: 1},
		{name: "unknown, read selected", onGitHub: "selected", wantReads: 1, wantClosed: true},
		{name: "unknown, read fails", onGitHub: "all", readFails: true, wantReads: 1, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gh := githubtest.New(t)
			gh.AddInstallation(7, "acme")
			gh.SetRepositorySelection(7, tc.onGitHub)
			gh.AddRepo("acme/payments", 7)
			if tc.readFails {
				gh.Fail("GET", "/installation/repositories", 500, 100, nil)
			}
			client, err := gh.ClientCreator(t).NewInstallationClient(7)
			if err != nil {
				t.Fatal(err)
			}
			l, err := NewPolicyLoader(".github/foureyes.yml", ".github", "")
			if err != nil {
				t.Fatal(err)
			}
			l.selections.now = func() time.Time { return now }
			known := ghclient.NewSelections(func() time.Time { return now.Add(-tc.age) })
			l.UseSelections(known, tc.fleet)
			if tc.readFirst {
				if first, err := l.Load(context.Background(), client, 7, "acme", "payments", "main"); err != nil || first.Err != nil {
					t.Fatalf("first load: %+v, %v", first, err)
				}
			}
			known.Learn(7, tc.known, "installation_repositories")

			loaded, err := l.Load(context.Background(), client, 7, "acme", "payments", "main")
			reads := 0
			for _, r := range gh.Requests() {
				if strings.HasSuffix(r.Path, "/installation/repositories") {
					reads++
				}
			}
			if reads != tc.wantReads {
				t.Errorf("%d reads of GET /installation/repositories, want %d", reads, tc.wantReads)
			}
			switch {
			case tc.wantErr:
				if err == nil || loaded.Policy != nil || loaded.Missing {
					t.Errorf("a failed read must fail closed: loaded %+v, err %v", loaded, err)
				}
			case err != nil:
				t.Fatalf("load: %v", err)
			case tc.wantClosed:
				if !errors.Is(loaded.Err, ErrOrgBaselineUnreadable) || !strings.Contains(loaded.Err.Error(), "selected repositories only") {
					t.Errorf("want the org baseline unreadable (selected installation), got %+v", loaded)
				}
			default:
				if loaded.Err != nil || !loaded.Missing {
					t.Errorf("want no baseline and no policy (Missing), got %+v", loaded)
				}
			}
		})
	}
}
