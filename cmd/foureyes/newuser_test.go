package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
)

// Issue #17 point 3: bad audit queries are usage errors naming the valid values; short
// SHAs resolve; --out does not overwrite without --force.
func TestBadAuditQueriesAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "foureyes.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	full := "6d657261a1b2c3d4e5f60718293a4b5c6d7e8f90"
	other := "6d657269ffffffffffffffffffffffffffffffff"
	for _, sha := range []string{full, other} {
		if _, err := st.Append(context.Background(), store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 1, SHA: sha, Outcome: "pass"}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out := filepath.Join(dir, "x.csv")
	if err := os.WriteFile(out, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"audit", "export", "--store", db, "--kind", "merges"}, 2, "valid kinds: control_health, deployment_decision"},
		{[]string{"audit", "verify", "--store", db, "--head", "abc"}, 2, "is not a record hash"},
		{[]string{"audit", "export", "--store", db, "--since", "2026-13-01"}, 2, "--since"},
		{[]string{"audit", "export", "--store", db, "--until", "yesterday"}, 2, "--until"},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r", "--sha", "6d657261"}, 0, full[:12]},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r", "--sha", "6d65726"}, 2, "ambiguous"},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r", "--sha", "6d65"}, 2, "at least 7"},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r", "--sha", "xyz1234"}, 2, "not a hexadecimal"},
		{[]string{"audit", "export", "--store", db, "--out", out}, 2, "--force"},
		{[]string{"audit", "export", "--store", db, "--out", out, "--force"}, 0, ""},
	} {
		got, code := runCLIWithError(t, tc.args...)
		if code != tc.wantCode || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, want %d with %q:\n%s", tc.args, code, tc.wantCode, tc.want, got)
		}
	}
	if b, _ := os.ReadFile(out); string(b) == "keep" {
		t.Error("--force did not overwrite")
	}
}

// Issue #17 point 4: foureyes --version prints version, commit and Go version.
func TestVersion(t *testing.T) {
	out, code := runAuditCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "foureyes ") || !strings.Contains(out, "commit ") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("--version: exit %d\n%s", code, out)
	}
	version, commit = "v9.9.9", "abc123"
	defer func() { version, commit = "", "" }()
	if s := versionString(); !strings.Contains(s, "foureyes v9.9.9") || !strings.Contains(s, "commit abc123") {
		t.Fatalf("ldflags values not used: %s", s)
	}
}

// Issue #17 point 6: policy eval judges the deployment facts in testdata (they failed
// with `json: unknown field "environment"`).
func TestPolicyEvalDeploymentFacts(t *testing.T) {
	for _, tc := range []struct {
		facts    string
		wantCode int
		want     string
	}{
		{"deploy-approved.json", 0, "deployment approved"},
		{"deploy-rejected.json", 1, "deployment rejected"},
	} {
		out, code := runAuditCLI(t, "policy", "eval", "--policy", "../../testdata/policies/valid-full.yml", "--facts", "../../testdata/facts/"+tc.facts)
		if code != tc.wantCode || !strings.Contains(out, tc.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tc.facts, code, tc.wantCode, tc.want, out)
		}
	}
	out, code := runAuditCLI(t, "policy", "eval", "--policy", "../../testdata/policies/valid-full.yml", "--facts", "../../testdata/facts/deploy-approved.json", "--format", "json")
	if code != 0 || !strings.Contains(out, `"state": "approved"`) {
		t.Errorf("json: exit %d\n%s", code, out)
	}
}

// Issue #17 point 5: the README's policy examples name files that exist in the clone.
func TestREADMEPolicyExamplesExist(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "foureyes policy ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "testdata/") || strings.HasSuffix(f, ".yml") || strings.HasSuffix(f, ".json") {
				n++
				if _, err := os.Stat(filepath.Join("../..", f)); err != nil {
					t.Errorf("README: %q names %s, which the clone does not have", line, f)
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no policy example found in the README")
	}
}

// runCLIWithError is runAuditCLI with the error main would print on stderr.
func runCLIWithError(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out strings.Builder
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return out.String(), 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return out.String() + err.Error(), ee.code
	}
	return out.String() + err.Error(), 2
}

// The README's policy commands run as printed, from the clone's root, with the exit codes
// the README promises (a new user's first steps; issue #17 points 2, 5 and 6).
func TestREADMEPolicyCommandsRun(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir("../..")
	n := 0
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, "foureyes policy ") {
			continue
		}
		n++
		args := strings.Fields(strings.SplitN(line, " #", 2)[0])[1:]
		out, code := runCLIWithError(t, args...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", line, code, out)
		}
	}
	if n < 3 {
		t.Fatalf("found %d policy commands in the README", n)
	}
}
