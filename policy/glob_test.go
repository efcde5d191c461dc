package policy

import (
	"testing"

	"github.com/bmatcuk/doublestar/v4"
)

// TestGlobAgreesWithDoublestar: the fast paths of Glob must give exactly doublestar's
// answer, or a rule would apply (or not) depending on which matcher ran.
func TestGlobAgreesWithDoublestar(t *testing.T) {
	patterns := []string{"**", "main", "release/**", "release/*", "**/*.go", "**/b", "a/**/b", "src/{a,b}.go",
		"infra/{prod,stage}/**/*.tf", "docs/**", "*.md", "a/*/c", "**/*", "src/[ab]*.go", "**/test/**", "a?c"}
	names := []string{"", "main", "mainx", "release", "release/1", "release/1/2", "x.go", "a/x.go", "a/b/x.go", "b", "a/b", "a/x/b",
		"x/b", "src/a.go", "src/c.go", "infra/prod/x/y.tf", "infra/stage/y.tf", "infra/dev/y.tf", "docs", "docs/a.md", "README.md",
		"a/b/c", "a/c", "src/ax.go", "src/cx.go", "test/a", "x/test/y", "abc", "x.gox"}
	for _, p := range patterns {
		g, ok := compileGlob(p)
		if !ok {
			t.Fatalf("compile %q", p)
		}
		for _, n := range names {
			want, _ := doublestar.Match(p, n)
			if got := g.Match(n); got != want {
				t.Errorf("Match(%q, %q) = %v, doublestar says %v", p, n, got, want)
			}
		}
	}
	for _, bad := range []string{"", "a/[b", "{a,b"} {
		if _, ok := compileGlob(bad); ok {
			t.Errorf("compileGlob(%q) accepted a bad pattern", bad)
		}
	}
}

func FuzzGlob(f *testing.F) {
	f.Add("**/*.go", "a/b.go")
	f.Add("a/**", "a")
	f.Add("src/{a,b}/**/x", "src/a/x")
	f.Fuzz(func(t *testing.T, pattern, name string) {
		g, ok := compileGlob(pattern)
		if !ok {
			return
		}
		want, _ := doublestar.Match(pattern, name)
		if got := g.Match(name); got != want {
			t.Fatalf("Match(%q, %q) = %v, doublestar says %v", pattern, name, got, want)
		}
	})
}

// TestFirstBytesNeverHidesAMatch: the prefilter may only say "cannot match" when the
// regexp agrees.
func TestFirstBytesNeverHidesAMatch(t *testing.T) {
	patterns := []string{`[A-Z][A-Z0-9]+-[0-9]+`, `\bPAY-\d+`, `(?i)pay-\d+`, `^JIRA`, `(ABC|XYZ)-\d+`, `a*b`, `.x`, `x?y`, `é\d`, `[^a]b`, `(?:AB){2}`}
	inputs := []string{"", "fix PAY-12", "pay-3", "words only", "JIRA-1", "xyz-9", "b", "zx", "y", "é1", "ab", "ABAB", "nothing here 123"}
	for _, p := range patterns {
		fb := newFirstBytes(p)
		t1 := mustCompile(t, p)
		for _, s := range inputs {
			if t1.MatchString(s) && !fb.mayMatch(s) {
				t.Errorf("prefilter for %q hides the match in %q", p, s)
			}
		}
	}
	if fb := newFirstBytes(`[A-Z]+-\d+`); !fb.ok || fb.mayMatch("lower case only") {
		t.Errorf("prefilter does not reject an input without capitals")
	}
}

func mustCompile(t *testing.T, p string) interface{ MatchString(string) bool } {
	t.Helper()
	pol := mustParse(t, "version: 1\nrules:\n  - name: a\n    ticket:\n      pattern: '"+p+"'\n")
	return pol.Rules[0].Ticket.re
}
