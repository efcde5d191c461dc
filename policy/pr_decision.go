package policy

import (
	"errors"
	"strconv"
	"strings"
)

// Missing-policy modes: what a repository without any policy gets.
const (
	MissingNeutral = "neutral"
	MissingFailure = "failure"
)

// MissingDigest is the policy digest recorded with a decision made without any policy,
// so that decision too names the inputs it can be re-performed from.
func MissingDigest(mode string) string { return "none:" + mode }

// PRInput is what a pull-request decision is made from.
type PRInput struct {
	Policy *Policy // nil: no policy anywhere
	// Baseline is the server's baseline alone, against which a changed policy file is
	// validated (nil when none).
	Baseline *Policy
	Missing  string // MissingNeutral or MissingFailure, for a nil Policy
	Path     string // the repository's policy file path
	Facts    Facts
}

// DecidePR is the decision on a pull request: the policy's evaluation, or the decision
// for a repository without policy; and when the PR changes the policy file into one that
// does not parse or would weaken the baseline, a failing "policy file change" rule (the PR
// is still judged by the base branch's policy, but the broken file can never reach it).
func DecidePR(in PRInput) Decision {
	var d Decision
	switch {
	case in.Policy != nil:
		d = Evaluate(in.Policy, in.Facts)
	case in.Missing == MissingFailure:
		d = Decision{Outcome: OutcomeFail, Title: "no foureyes policy: add " + in.Path, Rules: []RuleResult{}}
	default:
		d = Decision{Outcome: OutcomePass, NoRuleApplied: true, Title: "no foureyes policy in this repository", Rules: []RuleResult{}}
	}
	if errs := PolicyFileErrors(in.Baseline, in.Facts.PolicyFile); errs != nil {
		lines := make([]string, 0, len(errs))
		for _, pe := range errs {
			lines = append(lines, pe.Error())
		}
		path := in.Facts.PolicyFile.Path
		reason := "the changed " + path + " is invalid (" + strconv.Itoa(max(len(errs), 1)) + " error(s)): it would break the policy of " + in.Facts.PullRequest.Base.Ref
		d.Rules = append(d.Rules, RuleResult{
			Name: "policy file change", Status: StatusFail, Reason: reason,
			Requirements: []RequirementResult{{Kind: "policy", Status: StatusFail, Reason: strings.Join(lines, "; "), Evidence: []Evidence{}}},
		})
		d.Outcome, d.NoRuleApplied = OutcomeFail, false
		d.Title = path + " is invalid: fix it before merging"
	}
	return d
}

// PolicyFileErrors validates a policy file as a PR would leave it (parsed, merged with the
// baseline): nil when it is valid, or when the PR does not change it.
func PolicyFileErrors(baseline *Policy, f *PolicyFileChange) Errors {
	if f == nil || f.Deleted {
		return nil
	}
	p, err := Parse(f.Path, []byte(f.Content))
	if err == nil {
		_, err = Merge(baseline, p)
	}
	if err == nil && len(p.RegoFiles()) > 0 {
		files := make(map[string][]byte, len(f.Rego))
		for k, v := range f.Rego {
			files[k] = []byte(v)
		}
		_, err = p.WithRegoFiles(files)
	}
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		errs = Errors{{File: f.Path, Msg: err.Error()}}
	}
	return errs
}
