package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/policy"
)

func init() { subcommands = append(subcommands, newPolicyCmd) }

// Exit codes of `foureyes policy`, promised in docs/policy.md so scripts and CI can
// branch on them.
const (
	exitPass    = 0
	exitFail    = 1 // policy eval: fail; policy validate: invalid file
	exitUsage   = 2 // usage error, unreadable input, or a policy that does not parse (eval)
	exitPending = 3
)

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check .github/foureyes.yml files and evaluate them against recorded facts",
	}
	cmd.AddCommand(newPolicyValidateCmd(), newPolicyEvalCmd(), newPolicyTestCmd(), newPolicyBacktestCmd())
	return cmd
}

func newPolicyValidateCmd() *cobra.Command {
	var baseline string
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Report every error of each policy file (and .rego module) as FILE:LINE:COL: message",
		Long: "Exit 0 when every file is valid, 1 when any has errors (printed on stderr), 2 on usage errors.\n" +
			"With --baseline, each file is also merged with the org baseline, catching rules that reuse a baseline rule's name.",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return exitCode(exitUsage, errors.New("policy validate: give at least one policy FILE"))
			}
			var base *policy.Policy
			if baseline != "" {
				p, code := loadPolicy(cmd.ErrOrStderr(), baseline)
				if code != exitPass {
					return exitCode(code, nil)
				}
				base = p
			}
			worst := exitPass
			for _, file := range args {
				if strings.HasSuffix(file, ".rego") {
					code := validateRegoFile(cmd.ErrOrStderr(), file)
					if code == exitPass {
						fmt.Fprintln(cmd.OutOrStdout(), file+": ok")
					}
					worst = max(worst, code)
					continue
				}
				p, code := loadPolicy(cmd.ErrOrStderr(), file)
				if code == exitPass && base != nil {
					if _, err := policy.Merge(base, p); err != nil {
						printErrors(cmd.ErrOrStderr(), err)
						code = exitFail
					}
				}
				if code == exitPass {
					fmt.Fprintln(cmd.OutOrStdout(), file+": ok")
				}
				worst = max(worst, code)
			}
			if worst != exitPass {
				return exitCode(worst, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&baseline, "baseline", "", "org baseline policy `FILE` to merge each file with")
	return cmd
}

// loadPolicy reads and parses a file, printing what went wrong; the code is exitFail
// for an invalid policy and exitUsage for an unreadable file.
func loadPolicy(stderr io.Writer, file string) (*policy.Policy, int) {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "foureyes: read policy: %v\n", err)
		return nil, exitUsage
	}
	p, err := policy.Parse(file, data)
	if err == nil {
		p, err = evaluate.AttachRegoFromDisk(file, p) // `file:` Rego modules, next to .github/
	}
	if err != nil {
		printErrors(stderr, err)
		return nil, exitFail
	}
	return p, exitPass
}

// validateRegoFile compiles a .rego file given to `policy validate` on its own.
func validateRegoFile(stderr io.Writer, file string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(stderr, "foureyes: read rego module: %v\n", err)
		return exitUsage
	}
	if err := policy.ValidateRegoModule(file, data); err != nil {
		printErrors(stderr, err)
		return exitFail
	}
	return exitPass
}

func printErrors(w io.Writer, err error) {
	fmt.Fprintln(w, err.Error())
}

func newPolicyEvalCmd() *cobra.Command {
	var (
		policyFile, baselineFile, factsFile, format string
		showInput, deployment                       bool
	)
	cmd := &cobra.Command{
		Use:   "eval --policy FILE [--baseline FILE] --facts FILE [--format text|json|markdown] [--show-input] [--deployment]",
		Short: "Evaluate a policy against a Facts document and print the decision",
		Long: "Evaluate a policy against a Facts document and print the decision.\n" +
			"Exit 0 pass, 1 fail, 3 pending, 2 error or usage.\n" +
			"--format markdown prints exactly what the foureyes check run shows.\n" +
			"--show-input prints the exact input document a Rego module sees for --facts (docs/facts.md), and nothing else.\n" +
			"Rego `file:` modules are read relative to the repository root: the directory holding .github/.\n" +
			"Deployment facts (a top-level \"environment\", as the deployment gate records them, e.g.\n" +
			"testdata/facts/deploy-approved.json) are judged by the policy's deployments rules: approved\n" +
			"exits 0, rejected 1; --deployment forces that reading. The facts document of a\n" +
			"deployment_decision record is read as recorded, with the gate options it names.\n" +
			"--policy may also be a policy inputs document (an evidence package's policies/*.json, what\n" +
			"the store keeps by policy digest): the policy is assembled from it as the server did.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			if showInput {
				if factsFile == "" {
					return exitCode(exitUsage, errors.New("policy eval --show-input: --facts is required"))
				}
				facts, err := readFacts(factsFile)
				if err != nil {
					return exitCode(exitUsage, err)
				}
				_, err = stdout.Write(policy.RegoInput(facts))
				return err
			}
			render, ok := renderers[format]
			if !ok {
				return exitCode(exitUsage, fmt.Errorf("policy eval: unknown --format %q (use text, json or markdown)", format))
			}
			if policyFile == "" || factsFile == "" {
				return exitCode(exitUsage, errors.New("policy eval: --policy and --facts are required"))
			}
			data, err := readFile(factsFile)
			if err != nil {
				return exitCode(exitUsage, err)
			}
			deployment = deployment || isDeploymentFacts(data)
			var facts policy.Facts
			var dfacts policy.DeploymentFacts
			var dopts policy.DeploymentOptions
			if deployment {
				dfacts, dopts, err = readDeploymentFacts(factsFile, data)
			} else {
				facts, err = decodeFacts(factsFile, data)
			}
			if err != nil {
				return exitCode(exitUsage, err)
			}
			var p *policy.Policy
			in, inputs := readPolicyInputs(policyFile)
			if inputs && baselineFile != "" {
				return exitCode(exitUsage, errors.New("policy eval: a policy inputs document holds its baseline: no --baseline"))
			}
			if inputs {
				p, err = in.Assemble()
			} else {
				p, err = loadMerged(baselineFile, policyFile)
			}
			if err != nil {
				var perr policy.Errors
				if !errors.As(err, &perr) {
					return exitCode(exitUsage, err)
				}
				printErrors(stderr, err)
				if deployment {
					// As the gate decides a deployment under a broken policy.
					d := policy.DeploymentErrorDecision(dfacts.Environment, dfacts.SHA, err)
					if inputs {
						d.PolicyDigest = policy.InputsDigest(in)
					}
					return printDeployment(stdout, d, format)
				}
				fmt.Fprint(stdout, render(policy.ErrorDecision(err)))
				return exitCode(exitUsage, nil)
			}
			if deployment {
				return evalDeployment(stdout, p, dfacts, dopts, format)
			}
			var baseline *policy.Policy
			if inputs {
				baseline, _ = in.Baseline() // it assembled: the baseline parses
			} else if baselineFile != "" && facts.PolicyFile != nil {
				// A changed policy file in the facts is validated against the baseline.
				if data, err := os.ReadFile(baselineFile); err == nil {
					if b, err := policy.Parse(baselineFile, data); err == nil {
						baseline, _ = evaluate.AttachRegoFromDisk(baselineFile, b)
					}
				}
			}
			prIn := policy.PRInput{Policy: p, Baseline: baseline, Missing: policy.MissingNeutral, Facts: facts}
			if inputs {
				prIn.Missing, prIn.Path = in.Missing, in.Path
			}
			d := policy.DecidePR(prIn)
			fmt.Fprint(stdout, render(d))
			switch d.Outcome {
			case policy.OutcomePass:
				return nil
			case policy.OutcomeFail:
				return exitCode(exitFail, nil)
			case policy.OutcomePending:
				return exitCode(exitPending, nil)
			}
			return exitCode(exitUsage, nil)
		},
	}
	cmd.Flags().StringVar(&policyFile, "policy", "", "repo policy `FILE` (.github/foureyes.yml), or a recorded policy inputs document")
	cmd.Flags().StringVar(&baselineFile, "baseline", "", "org baseline policy `FILE`")
	cmd.Flags().StringVar(&factsFile, "facts", "", "Facts JSON `FILE` (as recorded in the audit log)")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().BoolVar(&showInput, "show-input", false, "print the input a Rego module sees for --facts and exit")
	cmd.Flags().BoolVar(&deployment, "deployment", false, "the facts are deployment facts (detected when they have a top-level \"environment\")")
	return cmd
}

// loadMerged parses the repo policy and the optional baseline, reporting the errors of
// both files together, then merges them.
func loadMerged(baselineFile, policyFile string) (*policy.Policy, error) {
	var errs policy.Errors
	parse := func(file string) (*policy.Policy, error) {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read policy: %w", err)
		}
		p, err := policy.Parse(file, data)
		if err == nil {
			p, err = evaluate.AttachRegoFromDisk(file, p)
		}
		var perr policy.Errors
		if errors.As(err, &perr) {
			errs = append(errs, perr...)
			return nil, nil
		}
		return p, err
	}
	var base *policy.Policy
	if baselineFile != "" {
		b, err := parse(baselineFile)
		if err != nil {
			return nil, err
		}
		base = b
	}
	repo, err := parse(policyFile)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return policy.Merge(base, repo)
}

func decodeFacts(file string, data []byte) (policy.Facts, error) {
	var f policy.Facts
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt field would silently weaken the evidence
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("facts %s: %w", file, err)
	}
	return f, nil
}

var renderers = map[string]func(policy.Decision) string{
	"json":     func(d policy.Decision) string { return string(d.JSON()) },
	"markdown": report.Markdown,
	"text":     textDecision,
}

// textDecision is the terminal rendering: the tree of rules, requirements and evidence.
func textDecision(d policy.Decision) string {
	var b strings.Builder
	b.WriteString(string(d.Outcome) + ": " + d.Title + "\n")
	if d.PolicyDigest != "" {
		b.WriteString("policy " + d.PolicyDigest + "\n")
	}
	for _, e := range d.Errors {
		b.WriteString("  " + e + "\n")
	}
	for _, r := range d.Rules {
		b.WriteString("\nrule " + r.Name + ": " + string(r.Status) + " (" + r.Reason + ")\n")
		for _, q := range r.Requirements {
			b.WriteString("  " + q.Kind + ": " + string(q.Status) + " (" + q.Reason + ")\n")
			for _, e := range q.Evidence {
				b.WriteString("    - " + e.Text + "\n")
			}
		}
	}
	return b.String()
}
