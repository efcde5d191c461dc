package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `policy eval` reads the facts document of a deployment_decision record as the gate
// wrote it, provenance and gate options included, and decides with those options.
func TestPolicyEvalRecordedDeploymentFacts(t *testing.T) {
	dir := t.TempDir()
	const facts = `{"environment": "staging", "sha": "d3", "ref": "main", "event": "deployment", "deployer": "carol",
		"deployer_is_bot": false, "pull_requests": [], "checks": [], "run_id": 5, "policy_ref": "main",
		"deployer_from": {"login": "carol"}, "pr_evidence": []%s}`
	for _, tc := range []struct {
		name, extra string
		code        int
		want        string
	}{
		{name: "recorded without options: an environment no rule names is approved", code: 0, want: "deployment approved"},
		{name: "the recorded options require a rule for it", extra: `, "deployment_options": {"unknown_environments": ["stag*"]}`,
			code: 1, want: "the server requires one for stag*"},
		{name: "recorded options that do not match", extra: `, "deployment_options": {"unknown_environments": ["prod*"]}`,
			code: 0, want: "deployment approved"},
		{name: "a misspelt field is refused", extra: `, "deployment_option": {}`, code: 2, want: "unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, "facts.json")
			if err := os.WriteFile(file, []byte(strings.Replace(facts, "%s", tc.extra, 1)), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, "policy", "eval", "--policy", td+"policies/valid-full.yml", "--facts", file)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d (want %d): %s%s\nwant %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}
