package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // exact FILE:LINE:COL: message lines
	}{
		{"empty file", "", []string{"p.yml:1:1: missing version: the file is empty; start it with `version: 1`"}},
		{"missing version", "rules: []\n", []string{"p.yml:1:1: missing version: add `version: 1`"}},
		{"unsupported version", "version: 2\n", []string{"p.yml:1:10: unsupported version 2: this foureyes understands version 1"}},
		{"version wrong type", "version: one\n", []string{"p.yml:1:10: version must be an integer, got a string"}},
		{"root not a mapping", "- a\n", []string{"p.yml:1:1: the policy file must be a mapping, got a list"}},
		{"syntax error", "version: 1\nrules: [\n", []string{"p.yml:2:1: did not find expected node content"}},
		{"unknown top-level key", "version: 1\nrulez: []\n", []string{`p.yml:2:1: unknown key "rulez" in the policy file (allowed: version, rules, deployments)`}},
		{"duplicate key", "version: 1\nversion: 1\n", []string{`p.yml:2:1: duplicate key "version" in the policy file (first at line 1)`}},
		{"rules not a list", "version: 1\nrules: {}\n", []string{"p.yml:2:8: rules must be a list, got a mapping"}},
		{"unknown rule key", "version: 1\nrules:\n  - name: a\n    approvals: {}\n    aprovals: {}\n",
			[]string{`p.yml:5:5: unknown key "aprovals" in a rule (allowed: name, branches, paths, ignore_paths, approvals, checks, ticket, emergency, rego)`}},
		{"rule without name", "version: 1\nrules:\n  - approvals: {}\n", []string{"p.yml:3:5: rule has no name"}},
		{"empty name", "version: 1\nrules:\n  - name: ''\n    approvals: {}\n", []string{"p.yml:3:11: name must not be empty"}},
		{"name wrong type", "version: 1\nrules:\n  - name: [a]\n    approvals: {}\n", []string{"p.yml:3:11: name must be a string, got a list"}},
		{"empty rule mapping", "version: 1\nrules:\n  - {}\n", []string{"p.yml:3:5: empty rule: give it a name and approvals, checks or ticket"}},
		{"rule requires nothing", "version: 1\nrules:\n  - name: a\n    branches: [main]\n",
			[]string{`p.yml:3:5: empty rule "a": it requires nothing; add approvals, checks or ticket`}},
		{"duplicate rule names", "version: 1\nrules:\n  - name: a\n    approvals: {}\n  - name: a\n    checks: [b]\n",
			[]string{`p.yml:5:11: duplicate rule name "a" (first at line 3)`}},
		{"count below one", "version: 1\nrules:\n  - name: a\n    approvals: {count: 0}\n", []string{"p.yml:4:24: count must be at least 1, got 0"}},
		{"count wrong type", "version: 1\nrules:\n  - name: a\n    approvals: {count: two}\n", []string{"p.yml:4:24: count must be an integer, got a string"}},
		{"unknown independent_of", "version: 1\nrules:\n  - name: a\n    approvals: {independent_of: [reviewers]}\n",
			[]string{`p.yml:4:34: unknown independent_of value "reviewers" (allowed: author, committers, co_authors, pushers)`}},
		{"team not org/slug", "version: 1\nrules:\n  - name: a\n    approvals: {from: {teams: [reviewers]}}\n",
			[]string{`p.yml:4:32: team "reviewers" must be in org/slug form, e.g. acme/payments-reviewers`}},
		{"team with two slashes", "version: 1\nrules:\n  - name: a\n    approvals: {from: {teams: [a/b/c]}}\n",
			[]string{`p.yml:4:32: team "a/b/c" must be in org/slug form, e.g. acme/payments-reviewers`}},
		{"unknown permission", "version: 1\nrules:\n  - name: a\n    approvals: {from: {permission: owner}}\n",
			[]string{`p.yml:4:36: unknown permission "owner" (allowed: read, triage, write, maintain, admin)`}},
		{"on_head wrong type", "version: 1\nrules:\n  - name: a\n    approvals: {on_head: 'yes'}\n", []string{"p.yml:4:26: on_head must be true or false, got a string"}},
		{"bad regex", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: '('}\n",
			[]string{"p.yml:4:23: bad regular expression in ticket.pattern: missing closing ): `(`"}},
		{"ticket without pattern", "version: 1\nrules:\n  - name: a\n    ticket: {in: [title]}\n", []string{"p.yml:4:13: ticket has no pattern"}},
		{"unknown ticket place", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, in: [subject]}\n",
			[]string{`p.yml:4:31: unknown ticket.in value "subject" (allowed: title, body, branch, commits)`}},
		{"bad glob", "version: 1\nrules:\n  - name: a\n    paths: ['src/[a-']\n    checks: [b]\n", []string{`p.yml:4:13: bad glob "src/[a-" in paths`}},
		{"branches not a list", "version: 1\nrules:\n  - name: a\n    branches: main\n    checks: [b]\n", []string{"p.yml:4:15: branches must be a list, got a string"}},
		{"empty paths", "version: 1\nrules:\n  - name: a\n    paths: []\n    checks: [b]\n", []string{"p.yml:4:12: paths must not be empty (omit it instead)"}},
		{"check wrong type", "version: 1\nrules:\n  - name: a\n    checks: [1]\n", []string{"p.yml:4:14: a check must be a name or a {name, app} mapping, got an integer"}},
		{"check object without name", "version: 1\nrules:\n  - name: a\n    checks: [{app: x}]\n", []string{"p.yml:4:14: check has no name"}},
		{"check object unknown key", "version: 1\nrules:\n  - name: a\n    checks: [{name: b, ap: x}]\n",
			[]string{`p.yml:4:24: unknown key "ap" in a check (allowed: name, app)`}},
		{"deployment environments not a list", "version: 1\ndeployments:\n  - environments: production\n    require: {approved_change: true}\n",
			[]string{"p.yml:3:19: environments must be a list, got a string"}},
		{"deployment without environments", "version: 1\ndeployments:\n  - require: {approved_change: true}\n",
			[]string{"p.yml:3:5: deployment rule has no environments"}},
		{"deployment requires nothing", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {approved_change: false}\n",
			[]string{"p.yml:3:5: empty deployment rule: require approved_change, independent_deployer, checks or change_request"}},
		{"deployment unknown require key", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {approved: true}\n",
			[]string{`p.yml:4:15: unknown key "approved" in require (allowed: approved_change, independent_deployer, checks, allow_emergency, change_request)`, "p.yml:3:5: empty deployment rule: require approved_change, independent_deployer, checks or change_request"}[:1]},
		{"duplicate deployment names", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {approved_change: true}\n  - environments: [prod]\n    require: {checks: [b]}\n",
			[]string{`p.yml:5:5: duplicate deployment rule name "deploy to prod" (first at line 3)`}},
		{"several errors sorted by position", "version: 3\nrules:\n  - name: a\n    approvals: {count: 0}\n    bogus: 1\n",
			[]string{"p.yml:1:10: unsupported version 3: this foureyes understands version 1", "p.yml:4:24: count must be at least 1, got 0",
				`p.yml:5:5: unknown key "bogus" in a rule (allowed: name, branches, paths, ignore_paths, approvals, checks, ticket, emergency, rego)`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("p.yml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; want %q", tc.want)
			}
			if p != nil {
				t.Errorf("policy returned with errors")
			}
			errs, ok := err.(Errors)
			if !ok {
				t.Fatalf("error type %T, want Errors", err)
			}
			if got := strings.Split(errs.Error(), "\n"); strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestParseDefaults(t *testing.T) {
	p := mustParse(t, "version: 1\nrules:\n  - name: a\n    approvals: {}\n    ticket: {pattern: x}\n")
	r := p.Rules[0]
	a := r.Approvals
	if a.Count != 1 || !a.OnHead || !a.BlockOnChangesRequested || a.Permission != "write" {
		t.Errorf("approvals defaults = %+v", a)
	}
	if got := strings.Join(a.IndependentOf, ","); got != "author,committers,co_authors,pushers" {
		t.Errorf("independent_of default = %s", got)
	}
	if got := strings.Join(r.Ticket.In, ","); got != "title,body,branch" {
		t.Errorf("ticket.in default = %s", got)
	}
	if len(r.Branches) != 1 || r.Branches[0].Pattern != "**" {
		t.Errorf("branches default = %v", r.Branches)
	}
	// The author is always excluded, even when independent_of omits it.
	p = mustParse(t, "version: 1\nrules:\n  - name: a\n    approvals: {independent_of: [pushers], from: {users: [bob]}}\n")
	if got := strings.Join(p.Rules[0].Approvals.IndependentOf, ","); got != "author,pushers" {
		t.Errorf("independent_of = %s", got)
	}
	if p.Rules[0].Approvals.Permission != "" {
		t.Errorf("a from with users must not add a permission floor")
	}
}

func TestParseExamplePolicies(t *testing.T) {
	files, _ := filepath.Glob("../testdata/policies/*.yml")
	if len(files) < 5 {
		t.Fatalf("found %d example policies", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(filepath.Base(file), data)
			broken := strings.HasPrefix(filepath.Base(file), "broken-")
			if broken && err == nil {
				t.Errorf("broken example parses")
			}
			if !broken && err != nil {
				t.Errorf("valid example: %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../testdata/policies/*.yml")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		f.Add(data)
	}
	f.Add([]byte("version: 1\nrules: &a\n  - *a\n"))
	f.Add([]byte("version: 1\nrules:\n  - name: x\n    <<: {approvals: {}}\n"))
	f.Add([]byte(billionLaughs(8)))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yml", data)
		if err == nil {
			if p == nil {
				t.Fatal("nil policy without error")
			}
			_ = Evaluate(p, baseFacts())
			return
		}
		errs, ok := err.(Errors)
		if !ok || len(errs) == 0 {
			t.Fatalf("error %T %v is not a non-empty Errors", err, err)
		}
		for _, e := range errs {
			if e.File != "f.yml" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
				t.Fatalf("error without a position: %+v", e)
			}
		}
	})
}

// billionLaughs is a small policy whose nested aliases stand for 10^levels nodes.
func billionLaughs(levels int) string {
	var b strings.Builder
	b.WriteString("version: 1\nx0: &x0 [a, a, a, a, a, a, a, a, a, a]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "x%d: &x%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*x%d", i-1)
		}
		b.WriteString("]\n")
	}
	fmt.Fprintf(&b, "rules:\n  - name: r\n    approvals:\n      from: {users: *x%d}\n", levels)
	return b.String()
}

func TestYAMLAliasAmplificationRejected(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		wantErr string // "" = valid
	}{
		{name: "billion laughs", src: billionLaughs(6), wantErr: "expands to more than"},
		{name: "deeper bomb", src: billionLaughs(12), wantErr: "expands to more than"},
		{name: "plain anchor reuse is fine", src: "version: 1\nrules:\n  - name: a\n    approvals:\n      from: {users: &rev [bob, carol]}\n" +
			"  - name: b\n    approvals:\n      from: {users: *rev}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tc.src))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("valid policy rejected: %v", err)
				}
				return
			}
			var es Errors
			if !errors.As(err, &es) || len(es) != 1 || !strings.Contains(es[0].Msg, tc.wantErr) {
				n := 0
				if errors.As(err, &es) {
					n = len(es)
				}
				t.Fatalf("want one error saying %q, got %d errors; first: %.300v", tc.wantErr, n, err)
			}
		})
	}
}
