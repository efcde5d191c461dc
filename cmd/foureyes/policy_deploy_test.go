package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/policy"
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

// `--policy` takes a recorded policy inputs document and assembles it as the server did:
// the same decision as from the policy file it holds.
func TestPolicyEvalPolicyInputsDocument(t *testing.T) {
	text, err := os.ReadFile(td + "policies/valid-full.yml")
	if err != nil {
		t.Fatal(err)
	}
	in := policy.PolicyInputs{Format: policy.InputsFormat, Path: ".github/foureyes.yml", Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: string(text)}}}
	dir := t.TempDir()
	file := filepath.Join(dir, "inputs.json")
	if err := os.WriteFile(file, in.JSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, facts := range []string{"pr-approved.json", "pr-hard.json", "deploy-approved.json", "deploy-rejected.json"} {
		wantCode, want, _ := runCLI(t, "policy", "eval", "--policy", td+"policies/valid-full.yml", "--facts", td+"facts/"+facts, "--format", "json")
		code, got, errOut := runCLI(t, "policy", "eval", "--policy", file, "--facts", td+"facts/"+facts, "--format", "json")
		if code != wantCode || got != want || want == "" {
			t.Errorf("%s: from the inputs document exit %d %s%s\nfrom the file exit %d %s", facts, code, got, errOut, wantCode, want)
		}
	}
	in.Files[0].Text = "version: 1\nrules: {"
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, in.JSON(), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI(t, "policy", "eval", "--policy", broken, "--facts", td+"facts/deploy-approved.json", "--format", "json")
	if code != 2 || !strings.Contains(out, `"state": "rejected"`) || !strings.Contains(out, policy.InputsDigest(in)) {
		t.Errorf("broken inputs: exit %d: %s", code, out)
	}
	if code, _, errOut := runCLI(t, "policy", "eval", "--policy", file, "--baseline", td+"policies/baseline.yml", "--facts", td+"facts/pr-approved.json"); code != 2 || !strings.Contains(errOut, "holds its baseline") {
		t.Errorf("inputs with --baseline: exit %d: %s", code, errOut)
	}
}
