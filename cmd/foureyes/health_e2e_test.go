package main

import (
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
)

// Control health through the real server: ruleset, branch protection and default-branch
// webhooks each re-probe the repository against the fake GitHub; a control_health record
// is appended on every change of state, and `audit health` shows the intervals.
func TestControlHealthFromWebhooks(t *testing.T) {
	h := e2etest.Start(t)
	states := func() []string {
		var out []string
		for _, r := range h.Records(store.Filter{Kinds: []store.Kind{store.KindControlHealth}}) {
			out = append(out, r.Subject+"="+r.Outcome)
		}
		return out
	}
	h.Repo.SetBranchRules("main", githubtest.RequiredCheckRule("foureyes", h.GH.AppID, 21), githubtest.PullRequestRule(1, 21))
	h.Send("repository_ruleset", githubtest.RulesetEvent(h.Repo, "created", 21, "admin"))
	h.WaitIdle()
	h.Send("repository_ruleset", githubtest.RulesetEvent(h.Repo, "edited", 21, "admin")) // nothing changed
	h.WaitIdle()
	h.Repo.SetBranchRules("main", githubtest.RequiredCheckRule("foureyes", 0, 21), githubtest.PullRequestRule(1, 21))
	h.Send("repository_ruleset", githubtest.RulesetEvent(h.Repo, "edited", 21, "admin"))
	h.WaitIdle()
	h.Repo.SetBranchRules("main")
	h.Send("repository_ruleset", githubtest.RulesetEvent(h.Repo, "deleted", 21, "admin"))
	h.WaitIdle()
	h.Repo.SetBranchProtection("release", map[string]int64{"foureyes": h.GH.AppID}, true)
	h.Send("branch_protection_rule", githubtest.BranchProtectionRuleEvent(h.Repo, "created", "release", "admin"))
	h.WaitIdle() // still missing on main: no record
	h.Repo.SetDefaultBranch("release")
	h.Send("repository", githubtest.RepositoryDefaultBranchEvent(h.Repo, "main", "admin"))
	h.WaitIdle()

	// An org ruleset (no repository in the event) re-probes the installation's repositories.
	h.Repo.SetBranchProtection("release", nil, false)
	h.Repo.SetBranchRules("release", githubtest.RequiredCheckRule("foureyes", 0, 31), githubtest.PullRequestRule(1, 31))
	h.Send("repository_ruleset", githubtest.OrgRulesetEvent(h.Repo, "created", 31, "org-admin"))
	h.WaitIdle()

	want := []string{"branch:main=enforced", "branch:main=unpinned", "branch:main=missing", "branch:release=enforced", "branch:release=unpinned"}
	if got := states(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("control_health records %v, want %v", got, want)
	}
	out, code := runAuditCLI(t, "audit", "health", "--store", h.DSN, "--since", "2020-01-01")
	if code != 0 {
		t.Fatalf("audit health: exit %d: %s", code, out)
	}
	for _, w := range []string{"not probed", "enforced", "unpinned", "missing", "release", "acme/payments: NOT enforced for the whole period"} {
		if !strings.Contains(out, w) {
			t.Errorf("audit health does not show %q:\n%s", w, out)
		}
	}
	if out, code = runAuditCLI(t, "audit", "verify", "--store", h.DSN); code != 0 {
		t.Errorf("verify: %s", out)
	}
}

// With the daily probe on, the server probes every installed repository when it starts.
func TestControlHealthProbedAtStart(t *testing.T) {
	h := e2etest.Start(t, e2etest.WithConfig(func(c *config.Config) { c.Health.Disabled = false }))
	deadline := time.Now().Add(10 * time.Second)
	for {
		recs := h.Records(store.Filter{Kinds: []store.Kind{store.KindControlHealth}})
		if len(recs) > 0 {
			if recs[0].Repository != "acme/payments" || recs[0].Outcome != "missing" || recs[0].Subject != "branch:main" {
				t.Fatalf("record at start: %+v", recs[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no control_health record after start")
		}
		time.Sleep(20 * time.Millisecond) // the probe runs on its own goroutine: poll the store
	}
}
