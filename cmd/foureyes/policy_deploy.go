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

func readDeploymentFacts(file string, data []byte) (policy.DeploymentFacts, error) {
	var f policy.DeploymentFacts
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt field would silently weaken the evidence
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("deployment facts %s: %w", file, err)
	}
	return f, nil
}

// evalDeployment judges deployment facts with the policy's deployment rules and prints
// the decision: approved exits 0, rejected 1 (3 when only a check is still running).
func evalDeployment(stdout io.Writer, p *policy.Policy, f policy.DeploymentFacts, format string) error {
	d := policy.EvaluateDeployment(p, f)
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
