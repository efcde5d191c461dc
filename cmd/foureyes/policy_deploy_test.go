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

// `policy eval` judges the direct pushes recorded in deployment facts: an uncleared one
// rejects, one cleared by someone else's review note does not; a facts file from before
// they were recorded (deploy-approved.json has no direct_pushes) is judged as it was.
func TestPolicyEvalDeploymentDirectPushes(t *testing.T) {
	base, err := os.ReadFile(td + "facts/deploy-approved.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name, pushes string
		code         int
		want         string
	}{
		{name: "no direct_pushes field", code: 0, want: "deployment approved"},
		{name: "an uncleared direct push", code: 1,
			pushes: `[{"sha": "e100000000000000000000000000000000000001", "pusher": "mallory", "violation_seq": 12, "commits": ["e100000000000000000000000000000000000001"], "notes": []}]`,
			want:   "direct push e100000 by mallory (violation record #12)"},
		{name: "cleared by an auditor's note", code: 0,
			pushes: `[{"sha": "e100000000000000000000000000000000000001", "pusher": "mallory", "violation_seq": 12, "commits": [], "notes": [{"seq": 15, "author": "audrey", "disposition": "explained"}]}]`,
			want:   "deployment approved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := string(base)
			if tc.pushes != "" {
				doc = strings.Replace(doc, `"deployer": "rita",`, `"deployer": "rita", "direct_pushes": `+tc.pushes+`,`, 1)
			}
			file := filepath.Join(dir, "facts.json")
			if err := os.WriteFile(file, []byte(doc), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, "policy", "eval", "--policy", td+"policies/valid-full.yml", "--facts", file)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d (want %d): %s%s\nwant %q", code, tc.code, out, errOut, tc.want)
			}
		})
	}
}
