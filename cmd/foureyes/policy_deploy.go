package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/policy"
)

// isDeploymentFacts says whether a Facts file is deployment facts (what the deployment
// gate records: an "environment" at the top, no "pull_request"), so `policy eval` can
// judge a deployment from the file alone.
func isDeploymentFacts(data []byte) bool {
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return false
	}
	_, env := top["environment"]
	_, pr := top["pull_request"]
	return env && !pr
}

// recordedDeploymentFacts is a deployment facts file: the facts alone, or the facts
// document of a deployment_decision record, which adds the gate options the decision was
// made with and where the gate found each part (provenance, not inputs of the decision).
type recordedDeploymentFacts struct {
	policy.DeploymentFacts
	Options      *policy.DeploymentOptions `json:"deployment_options"`
	RunID        json.RawMessage           `json:"run_id"`
	PolicyRef    json.RawMessage           `json:"policy_ref"`
	DeployerFrom json.RawMessage           `json:"deployer_from"`
	PREvidence   json.RawMessage           `json:"pr_evidence"`
}

// readDeploymentFacts reads deployment facts and the gate options they were recorded
// with (none: the defaults, under which an environment no rule names is approved).
func readDeploymentFacts(file string, data []byte) (policy.DeploymentFacts, policy.DeploymentOptions, error) {
	var f recordedDeploymentFacts
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt field would silently weaken the evidence
	if err := dec.Decode(&f); err != nil {
		return f.DeploymentFacts, policy.DeploymentOptions{}, fmt.Errorf("deployment facts %s: %w", file, err)
	}
	var opts policy.DeploymentOptions
	if f.Options != nil {
		opts = *f.Options
	}
	return f.DeploymentFacts, opts, nil
}

// readPolicyInputs reads a policy inputs document (what the audit store keeps by policy
// digest, and an evidence package holds under policies/): ok is false for a policy file.
func readPolicyInputs(file string) (policy.PolicyInputs, bool) {
	data, err := os.ReadFile(file)
	if err != nil || !json.Valid(data) {
		return policy.PolicyInputs{}, false
	}
	in, err := policy.ParseInputs(data)
	return in, err == nil
}

// evalDeployment judges deployment facts with the policy's deployment rules, as the gate
// does (policy.DeploymentOptions.Decide, with the recorded options), and prints the
// decision: approved exits 0, rejected 1 (3 when only a check is still running).
func evalDeployment(stdout io.Writer, p *policy.Policy, f policy.DeploymentFacts, opts policy.DeploymentOptions, format string) error {
	return printDeployment(stdout, opts.Decide(p, f), format)
}

// printDeployment prints a deployment decision and returns its exit code.
func printDeployment(stdout io.Writer, d policy.DeploymentDecision, format string) error {
	switch format {
	case "json":
		fmt.Fprint(stdout, string(d.JSON()))
	case "markdown":
		fmt.Fprintln(stdout, report.DeploymentComment(d, ""))
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "deployment %s (%s): %s\n", d.State, d.Outcome, d.Title)
		if d.PolicyDigest != "" {
			b.WriteString("policy " + d.PolicyDigest + "\n")
		}
		for _, r := range d.Rules {
			b.WriteString("\nrule " + r.Name + ": " + string(r.Status) + " (" + r.Reason + ")\n")
			for _, q := range r.Requirements {
				b.WriteString("  " + q.Kind + ": " + string(q.Status) + " (" + q.Reason + ")\n")
			}
		}
		fmt.Fprint(stdout, b.String())
	}
	switch {
	case d.State == policy.DeploymentApproved:
		return nil
	case d.Outcome == policy.OutcomePending:
		return exitCode(exitPending, nil)
	case d.Outcome == policy.OutcomeFail:
		return exitCode(exitFail, nil)
	}
	return exitCode(exitUsage, nil)
}

func readFile(file string) ([]byte, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read facts: %w", err)
	}
	return data, nil
}

// readFacts reads a PR Facts file.
func readFacts(file string) (policy.Facts, error) {
	data, err := readFile(file)
	if err != nil {
		return policy.Facts{}, err
	}
	return decodeFacts(file, data)
}
