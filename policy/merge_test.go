package policy

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"
)

func readPolicy(t testing.TB, name string) *Policy {
	t.Helper()
	data, err := os.ReadFile("../testdata/policies/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMerge(t *testing.T) {
	base := readPolicy(t, "baseline.yml")
	repo := readPolicy(t, "valid-full.yml")
	tests := []struct {
		name      string
		base, rep *Policy
		rules     []string
		origins   []Origin
		deploys   []string
		err       string
	}{
		{name: "both nil", rules: nil},
		{name: "baseline only", base: base, rules: []string{"org four eyes", "org ticket"},
			origins: []Origin{OriginBaseline, OriginBaseline}, deploys: []string{"org production"}},
		{name: "repo only", rep: repo, rules: []string{"production code", "migrations need two"},
			origins: []Origin{OriginRepo, OriginRepo}, deploys: []string{"production"}},
		{name: "repo adds to baseline", base: base, rep: repo,
			rules:   []string{"org four eyes", "org ticket", "production code", "migrations need two"},
			origins: []Origin{OriginBaseline, OriginBaseline, OriginRepo, OriginRepo}, deploys: []string{"org production", "production"}},
		{name: "repo cannot redefine a baseline rule", base: base, rep: readPolicy(t, "repo-overrides-baseline.yml"),
			err: `repo-overrides-baseline.yml:4:11: rule "org four eyes" is defined by the org baseline: baseline rules cannot be changed or removed; give this rule another name to add to it`},
		{name: "repo cannot redefine a baseline deployment rule", base: base,
			rep: mustParse(t, "version: 1\ndeployments:\n  - name: org production\n    environments: [nothing]\n    require: {checks: [x]}\n"),
			err: `test.yml:3:11: deployment rule "org production" is defined by the org baseline: baseline rules cannot be changed or removed; give this rule another name to add to it`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Merge(tc.base, tc.rep)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			var origins []Origin
			for _, r := range m.Rules {
				names, origins = append(names, r.Name), append(origins, r.Origin)
			}
			var deploys []string
			for _, d := range m.Deployments {
				deploys = append(deploys, d.Name)
			}
			if !slices.Equal(names, tc.rules) || !slices.Equal(origins, tc.origins) || !slices.Equal(deploys, tc.deploys) {
				t.Errorf("rules %v %v deployments %v; want %v %v %v", names, origins, deploys, tc.rules, tc.origins, tc.deploys)
			}
		})
	}
	if base.Rules[0].Origin != OriginRepo {
		t.Errorf("Merge modified its input")
	}
}

// TestBaselineCannotBeLoosened: a repo file that reaches for a weaker version of a
// baseline rule under another name still leaves the baseline rule in force.
func TestBaselineCannotBeLoosened(t *testing.T) {
	base := readPolicy(t, "baseline.yml")
	repo := mustParse(t, "version: 1\nrules:\n  - name: lenient\n    branches: [main]\n    approvals: {on_head: false, independent_of: [], block_on_changes_requested: false}\n")
	m, err := Merge(base, repo)
	if err != nil {
		t.Fatal(err)
	}
	f := baseFacts()
	f.Reviews = []Review{rev(1, "carol", "APPROVED", sha2, "10:00:00")}
	d := Evaluate(m, f)
	if d.Outcome == OutcomePass {
		t.Fatalf("baseline loosened:\n%s", d.JSON())
	}
	if d.Rules[0].Name != "org four eyes" || d.Rules[0].Status != StatusPending {
		t.Errorf("baseline rule = %+v", d.Rules[0])
	}
	if d.Rules[2].Name != "lenient" || d.Rules[2].Status != StatusPass {
		t.Errorf("repo rule = %+v", d.Rules[2])
	}
}

func TestDigest(t *testing.T) {
	a := mustParse(t, "version: 1\nrules:\n  - name: a\n    approvals: {}\n")
	same := mustParse(t, "# comment\nversion: 1\nrules:\n  - approvals: {count: 1, on_head: true}\n    name: a\n")
	other := mustParse(t, "version: 1\nrules:\n  - name: a\n    approvals: {count: 2}\n")
	if !strings.HasPrefix(a.Digest(), "sha256:") || len(a.Digest()) != 71 {
		t.Errorf("digest form %q", a.Digest())
	}
	if a.Digest() != same.Digest() {
		t.Errorf("formatting and defaults changed the digest")
	}
	if a.Digest() == other.Digest() {
		t.Errorf("different policies share a digest")
	}
	m, _ := Merge(a, nil)
	if m.Digest() == a.Digest() {
		t.Errorf("a baseline rule and a repo rule must differ in digest (origin)")
	}
	var nilPolicy *Policy
	if nilPolicy.Digest() != (&Policy{}).Digest() {
		t.Errorf("nil policy digest differs from empty policy")
	}
}

// TestDecisionDeterministic: the audit log hashes Decision JSON, so evaluating the same
// inputs must give the same bytes, whatever the order of map iteration.
func TestDecisionDeterministic(t *testing.T) {
	p := readPolicy(t, "hard-cases.yml")
	f := loadFacts(t, "pr-hard.json")
	first := Evaluate(p, f).JSON()
	for i := 0; i < 20; i++ {
		if got := Evaluate(p, f).JSON(); !bytes.Equal(got, first) {
			t.Fatalf("run %d differs:\n%s\n%s", i, got, first)
		}
	}
	// Reordering reviews and checks in the facts must not change the decision.
	g := loadFacts(t, "pr-hard.json")
	slices.Reverse(g.Reviews)
	slices.Reverse(g.Checks)
	if got := Evaluate(p, g).JSON(); !bytes.Equal(got, first) {
		t.Errorf("input order changed the decision:\n%s\n%s", got, first)
	}
}

func TestTeamsAndRelevantUsers(t *testing.T) {
	p := mustParse(t, "version: 1\nrules:\n  - name: a\n    branches: [main]\n    approvals: {from: {teams: [acme/rev, acme/ops]}}\n  - name: b\n    approvals: {from: {teams: [acme/rev]}}\n  - name: c\n    checks: [x]\n")
	if got := p.Teams(); !slices.Equal(got, []string{"acme/ops", "acme/rev"}) {
		t.Errorf("Teams = %v", got)
	}
	f := baseFacts()
	f.Reviews = []Review{
		rev(1, "zoe", "APPROVED", sha3, "10:00:00"), rev(2, "bob", "CHANGES_REQUESTED", sha3, "10:00:00"),
		rev(3, "carl", "COMMENTED", sha3, "10:00:00"), rev(4, "gina", "DISMISSED", sha3, "10:00:00"),
		rev(5, "alice", "APPROVED", sha3, "10:00:00"), rev(6, "dependabot[bot]", "APPROVED", sha3, "10:00:00"),
	}
	if got := p.RelevantUsers(f); !slices.Equal(got, []string{"bob", "zoe"}) {
		t.Errorf("RelevantUsers = %v", got)
	}
	onlyChecks := mustParse(t, "version: 1\nrules:\n  - name: c\n    checks: [x]\n")
	if got := onlyChecks.RelevantUsers(f); len(got) != 0 {
		t.Errorf("no approvals rule applies, yet RelevantUsers = %v", got)
	}
}

func TestErrorDecision(t *testing.T) {
	_, err := Parse("p.yml", []byte("version: 2\nrules: 3\n"))
	d := ErrorDecision(err)
	if d.Outcome != OutcomeError || len(d.Errors) != 2 || d.Errors[0] != "p.yml:1:10: unsupported version 2: this foureyes understands version 1" {
		t.Errorf("ErrorDecision = %+v", d)
	}
	if !strings.HasPrefix(d.Title, "policy has 2 errors, first: p.yml:1:10:") {
		t.Errorf("title %q", d.Title)
	}
}
