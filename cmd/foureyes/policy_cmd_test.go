package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs the root command in-process and maps its error to the exit code the
// way main does.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		code = 0
	case errors.As(err, &ee):
		code = ee.code
		if ee.err != nil {
			errOut.WriteString("foureyes: " + ee.err.Error() + "\n")
		}
	default:
		code = 2
		errOut.WriteString("foureyes: " + err.Error() + "\n")
	}
	return code, out.String(), errOut.String()
}

const td = "../../testdata/"

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stderrHas  string
		stdoutHas  string
		stderrForm bool // every stderr line is FILE:LINE:COL: message
	}{
		{name: "valid files", args: []string{td + "policies/valid-full.yml", td + "policies/baseline.yml"}, code: 0,
			stdoutHas: "valid-full.yml: ok"},
		{name: "broken file", args: []string{td + "policies/valid-minimal.yml", td + "policies/broken-many.yml"}, code: 1,
			stderrHas: td + "policies/broken-many.yml:6:14: count must be at least 1, got 0", stderrForm: true},
		{name: "syntax error", args: []string{td + "policies/broken-syntax.yml"}, code: 1, stderrForm: true,
			stderrHas: td + "policies/broken-syntax.yml:3:1: did not find expected ',' or '}'"},
		{name: "baseline conflict", args: []string{"--baseline", td + "policies/baseline.yml", td + "policies/repo-overrides-baseline.yml"}, code: 1,
			stderrHas: td + `policies/repo-overrides-baseline.yml:4:11: rule "org four eyes" is defined by the org baseline`, stderrForm: true},
		{name: "no files", args: nil, code: 2, stderrHas: "give at least one policy FILE"},
		{name: "missing file", args: []string{td + "policies/nope.yml"}, code: 2, stderrHas: "no such file"},
		{name: "unknown flag", args: []string{"--bogus", td + "policies/valid-full.yml"}, code: 2, stderrHas: "unknown flag"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"policy", "validate"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stderr, tc.stderrHas) || !strings.Contains(stdout, tc.stdoutHas) {
				t.Errorf("stdout %q stderr %q; want %q / %q", stdout, stderr, tc.stdoutHas, tc.stderrHas)
			}
			if tc.stderrForm {
				for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
					if parts := strings.SplitN(line, ":", 4); len(parts) < 4 || parts[1] == "" || parts[2] == "" || !strings.HasPrefix(parts[3], " ") {
						t.Errorf("stderr line not FILE:LINE:COL: message: %q", line)
					}
				}
			}
		})
	}
}

func TestPolicyEval(t *testing.T) {
	dir := t.TempDir()
	badFacts := filepath.Join(dir, "bad.json")
	os.WriteFile(badFacts, []byte(`{"pull_request": {"numbr": 1}}`), 0o644)
	tests := []struct {
		name      string
		args      []string
		code      int
		stdoutHas string
		stderrHas string
	}{
		{name: "pass", args: []string{"--policy", td + "policies/valid-full.yml", "--baseline", td + "policies/baseline.yml", "--facts", td + "facts/pr-approved.json"},
			code: 0, stdoutHas: "pass: 3 rules pass"},
		{name: "fail", args: []string{"--policy", td + "policies/valid-full.yml", "--facts", td + "facts/pr-truncated.json"},
			code: 1, stdoutHas: "fail: too many commits to verify"},
		{name: "pending", args: []string{"--policy", td + "policies/hard-cases.yml", "--facts", td + "facts/pr-hard.json"},
			code: 3, stdoutHas: "carol co-authored h100000"},
		{name: "broken policy", args: []string{"--policy", td + "policies/broken-many.yml", "--facts", td + "facts/pr-hard.json", "--format", "json"},
			code: 2, stdoutHas: `"outcome": "error"`, stderrHas: td + "policies/broken-many.yml:1:10: unsupported version 2"},
		{name: "broken baseline", args: []string{"--policy", td + "policies/valid-full.yml", "--baseline", td + "policies/broken-no-version.yml", "--facts", td + "facts/pr-hard.json"},
			code: 2, stderrHas: td + "policies/broken-no-version.yml:1:1: missing version"},
		{name: "baseline conflict", args: []string{"--policy", td + "policies/repo-overrides-baseline.yml", "--baseline", td + "policies/baseline.yml", "--facts", td + "facts/pr-hard.json"},
			code: 2, stderrHas: "repo-overrides-baseline.yml:4:11:"},
		{name: "unknown format", args: []string{"--policy", td + "policies/valid-full.yml", "--facts", td + "facts/pr-hard.json", "--format", "xml"},
			code: 2, stderrHas: `unknown --format "xml"`},
		{name: "missing facts flag", args: []string{"--policy", td + "policies/valid-full.yml"}, code: 2, stderrHas: "--policy and --facts are required"},
		{name: "facts with an unknown field", args: []string{"--policy", td + "policies/valid-full.yml", "--facts", badFacts}, code: 2, stderrHas: `unknown field "numbr"`},
		{name: "stray argument", args: []string{"x", "--policy", td + "policies/valid-full.yml", "--facts", td + "facts/pr-hard.json"}, code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"policy", "eval"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tc.stdoutHas) || !strings.Contains(stderr, tc.stderrHas) {
				t.Errorf("stdout:\n%s\nstderr:\n%s\nwant %q / %q", stdout, stderr, tc.stdoutHas, tc.stderrHas)
			}
		})
	}
}

// TestPolicyEvalFormats: json is the Decision itself and markdown is the check run as
// GitHub shows it (the same golden file the report package checks).
func TestPolicyEvalFormats(t *testing.T) {
	args := []string{"policy", "eval", "--policy", td + "policies/hard-cases.yml", "--facts", td + "facts/pr-hard.json"}
	_, js, _ := runCLI(t, append(args, "--format", "json")...)
	want, _ := os.ReadFile(td + "golden/decision-hard-cases.json")
	if js != string(want) {
		t.Errorf("json output differs from golden decision:\n%s", js)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(js), &obj); err != nil || obj["outcome"] == nil || obj["title"] == nil || obj["rules"] == nil {
		t.Errorf("json lacks outcome/title/rules: %v", err)
	}
	_, md, _ := runCLI(t, append(args, "--format", "markdown")...)
	want, _ = os.ReadFile(td + "golden/checkrun-hard-cases.md")
	if md != string(want) {
		t.Errorf("markdown output differs from the check-run golden:\n%s", md)
	}
}
