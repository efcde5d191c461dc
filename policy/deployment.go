package policy

import (
	"errors"
	"strings"
)

// DeploymentFacts is what the deployment gate sees: the deployment, the deployer, the
// pull requests that brought the SHA (with what foureyes recorded at their merge) and
// the checks on the SHA. Field names are part of the audit format.
type DeploymentFacts struct {
	Environment   string       `json:"environment"`
	SHA           string       `json:"sha"`
	Ref           string       `json:"ref"`
	Event         string       `json:"event"`
	Deployer      string       `json:"deployer"`
	DeployerIsBot bool         `json:"deployer_is_bot"`
	PullRequests  []DeployedPR `json:"pull_requests"`
	Checks        []Check      `json:"checks"`
	// At is when the deployment was decided (RFC 3339, UTC): change_request.within_window
	// compares it with the change request's planned window.
	At string `json:"at,omitempty"`
	// Tickets are the change requests the deployed PRs reference, keyed by reference, as
	// read at decision time.
	Tickets map[string]TicketSnapshot `json:"tickets,omitempty"`
	// DeployerNote says how the deployer was found when no person stands behind the
	// deployment (a bot, the ghost user): a rejection names it.
	DeployerNote string `json:"deployer_note,omitempty"`
	// DirectPushes are the direct pushes to the default branch (violation records) whose
	// pushed head is the deployed SHA or one of its ancestors: code the deployment ships
	// that no pull request brought. approved_change requires each to be cleared by a
	// review note (policy/deployment_pushes.go). Absent in records from before it was
	// gathered: no push, as those decisions were made.
	DirectPushes []DeployedDirectPush `json:"direct_pushes"`
}

// DeployedPR is one pull request that brought the deployed SHA, with its merge record.
type DeployedPR struct {
	Number int    `json:"number"`
	Author string `json:"author"`
	Merged bool   `json:"merged"`
	// MergeOutcome is the outcome of the decision that stood at merge ("pass", ...),
	// or "" when foureyes has no merge record.
	MergeOutcome  string `json:"merge_outcome"`
	MergedHeadSHA string `json:"merged_head_sha"`
	Violation     bool   `json:"violation"`
	// EvaluatedFresh says the merge-time decision was evaluated on MergedHeadSHA.
	EvaluatedFresh bool `json:"evaluated_fresh"`
	// Emergency names the incident reference when the decision at merge passed only
	// because of an emergency declaration.
	Emergency     string   `json:"emergency,omitempty"`
	CommitAuthors []string `json:"commit_authors"`
	Committers    []string `json:"committers"`
	CoAuthors     []string `json:"co_authors"`
	Pushers       []string `json:"pushers"`
	// Title, Body and Branch are where the change request reference is looked for.
	Title  string `json:"title,omitempty"`
	Body   string `json:"body,omitempty"`
	Branch string `json:"branch,omitempty"`
	// MergeCommitSHA is the commit the merge produced (merge, squash, or the last rebased
	// commit), from foureyes' merge record or GitHub's PR. approved_change holds only for
	// a deployed SHA that is the merge commit of a PR merged with a passing decision.
	MergeCommitSHA string `json:"merge_commit_sha,omitempty"`
}

// DeploymentState is the answer given to GitHub's deployment protection rule.
type DeploymentState string

// The two answers GitHub accepts.
const (
	DeploymentApproved DeploymentState = "approved"
	DeploymentRejected DeploymentState = "rejected"
)

// DeploymentDecision is the result of EvaluateDeployment. State is what GitHub is
// told. Outcome refines it: pending (rejected only because a check has not finished,
// so the server may wait and re-evaluate), fail, error or pass.
type DeploymentDecision struct {
	State         DeploymentState `json:"state"`
	Outcome       Outcome         `json:"outcome"`
	Title         string          `json:"title"`
	Environment   string          `json:"environment"`
	SHA           string          `json:"sha"`
	PolicyDigest  string          `json:"policy_digest,omitempty"`
	NoRuleApplied bool            `json:"no_rule_applied,omitempty"`
	Rules         []RuleResult    `json:"rules"`
	Reason        string          `json:"reason"`
	Errors        []string        `json:"errors,omitempty"`
}

// JSON encodes the decision deterministically for the audit log.
func (d DeploymentDecision) JSON() []byte { return marshal(d) }

// DeploymentOptions are the server's settings for the gate.
type DeploymentOptions struct {
	// UnknownEnvironments are globs of environments that must be named by a deployment
	// rule: a deployment to a matching environment that no rule names is rejected
	// rather than approved.
	UnknownEnvironments []string `json:"unknown_environments"`
}

// EvaluateDeployment decides a deployment with default options: an environment that
// no rule names is approved.
func EvaluateDeployment(p *Policy, f DeploymentFacts) DeploymentDecision {
	return DeploymentOptions{}.Evaluate(p, f)
}

// Evaluate decides a deployment: every deployment rule whose environments match must
// pass.
func (o DeploymentOptions) Evaluate(p *Policy, f DeploymentFacts) DeploymentDecision {
	d := DeploymentDecision{Environment: f.Environment, SHA: f.SHA, PolicyDigest: p.Digest(), Rules: []RuleResult{}}
	if p != nil {
		for _, r := range p.Deployments {
			if matchAny(r.Environments, f.Environment) {
				d.Rules = append(d.Rules, evalDeploymentRule(r, &f))
			}
		}
	}
	if len(d.Rules) == 0 {
		d.NoRuleApplied = true
		for _, pat := range o.UnknownEnvironments {
			if g, ok := compileGlob(pat); ok && g.Match(f.Environment) {
				d.State, d.Outcome = DeploymentRejected, OutcomeFail
				d.Reason = "no deployment rule names environment " + f.Environment + " and the server requires one for " + pat
				d.Title = d.Reason
				return d
			}
		}
		d.State, d.Outcome = DeploymentApproved, OutcomePass
		d.Reason = "no deployment rule names environment " + f.Environment
		d.Title = d.Reason
		return d
	}
	d.Outcome, d.Title = summarize(d.Rules, len(d.Rules))
	d.Reason = d.Title
	d.State = DeploymentRejected
	if d.Outcome == OutcomePass {
		d.State = DeploymentApproved
		d.Reason = "deployment of " + short(f.SHA) + " to " + f.Environment + " meets every rule"
	}
	if d.State == DeploymentRejected && f.DeployerIsBot && f.DeployerNote != "" {
		d.Reason += " (" + f.DeployerNote + ")"
	}
	return d
}

// Decide is the gate's decision: Evaluate, except that a deployment some rule applies to
// but that names no commit SHA is an error (there is nothing to judge). The deployment
// gate records o with the facts, so a recorded decision is re-performed by Decide alone.
func (o DeploymentOptions) Decide(p *Policy, f DeploymentFacts) DeploymentDecision {
	d := o.Evaluate(p, f)
	if !d.NoRuleApplied && f.SHA == "" {
		e := DeploymentErrorDecision(f.Environment, f.SHA, errNoDeployedSHA)
		e.PolicyDigest = d.PolicyDigest
		return e
	}
	return d
}

// errNoDeployedSHA is the error of a deployment that names no commit.
var errNoDeployedSHA = errors.New("the deployment names no commit SHA: nothing to judge")

// DeploymentErrorDecision rejects a deployment whose policy does not parse.
func DeploymentErrorDecision(env, sha string, err error) DeploymentDecision {
	e := ErrorDecision(err)
	return DeploymentDecision{State: DeploymentRejected, Outcome: OutcomeError, Title: e.Title, Environment: env,
		SHA: sha, Rules: []RuleResult{}, Reason: e.Title, Errors: e.Errors}
}

func evalDeploymentRule(r *DeploymentRule, f *DeploymentFacts) RuleResult {
	rr := RuleResult{Name: r.Name, Origin: r.Origin, Requirements: []RequirementResult{}}
	if r.ApprovedChange {
		rr.Requirements = append(rr.Requirements, approvedChange(f, r.AllowEmergency))
	}
	if r.IndependentDeployer {
		rr.Requirements = append(rr.Requirements, independentDeployer(f))
	}
	if len(r.Checks) > 0 {
		rr.Requirements = append(rr.Requirements, evalChecks(r.Checks, f.Checks, f.SHA))
	}
	if r.ChangeRequest != nil {
		rr.Requirements = append(rr.Requirements, changeRequest(r, f))
	}
	rr.Status, rr.Reason = StatusPass, "all requirements met"
	for _, want := range [...]Status{StatusFail, StatusPending} {
		for _, q := range rr.Requirements {
			if q.Status == want {
				rr.Status, rr.Reason = want, q.Reason
				return rr
			}
		}
	}
	return rr
}

func prRef(n int) string { return "#" + itoa(n) }

// approvedChange requires every PR that brought the SHA to have been merged with a
// passing decision evaluated on the head that was merged, and the SHA to be the merge
// commit of one of them: the code deployed must be the state that was approved, not an
// intermediate commit of an approved PR (a backdoor reverted before review) nor a direct
// push that a later approved PR happens to contain or sit on, both of which GitHub
// associates with that PR. A merge commit's history may still hold a direct push that
// no PR brought (a later merge sits on it): each such push must have been cleared by a
// review note of someone other than the pusher.
func approvedChange(f *DeploymentFacts, allowEmergency bool) RequirementResult {
	q := RequirementResult{Kind: KindApprovedChange, Evidence: []Evidence{}}
	if len(f.PullRequests) == 0 {
		q.Status, q.Reason = StatusFail, "no pull request brought "+short(f.SHA)+": it was not reviewed"
		return q
	}
	var bad []string
	for _, pr := range f.PullRequests {
		var why string
		switch {
		case !pr.Merged:
			why = prRef(pr.Number) + " by " + pr.Author + " is not merged"
		case pr.Violation:
			why = prRef(pr.Number) + " by " + pr.Author + " was merged through a violation (decision " + orUnknown(pr.MergeOutcome) + ")"
		case pr.MergeOutcome == "":
			why = prRef(pr.Number) + " by " + pr.Author + " has no merge record"
		case pr.MergeOutcome != string(OutcomePass):
			why = prRef(pr.Number) + " by " + pr.Author + " was merged with decision " + pr.MergeOutcome
		case !pr.EvaluatedFresh:
			why = prRef(pr.Number) + " by " + pr.Author + " passed, but not on the merged head " + short(pr.MergedHeadSHA)
		case pr.Emergency != "" && !allowEmergency:
			why = prRef(pr.Number) + " by " + pr.Author + " is emergency change " + pr.Emergency + " and this rule does not set allow_emergency"
		}
		ev := Evidence{Kind: "pull_request", Subject: prRef(pr.Number), SHA: pr.MergedHeadSHA, Result: pr.MergeOutcome}
		if why != "" {
			bad = append(bad, why)
			ev.Text = why
		} else {
			ev.Text = prRef(pr.Number) + " by " + pr.Author + " merged with a passing decision on " + short(pr.MergedHeadSHA)
			if pr.Emergency != "" {
				ev.Kind, ev.Source = EvidenceEmergency, pr.Emergency
				ev.Text += " as emergency change " + pr.Emergency + " (allow_emergency)"
			}
		}
		q.Evidence = append(q.Evidence, ev)
	}
	// The merge commit ships every direct push it sits on: approving the PR approved
	// its diff, not the unreviewed commits under it.
	pushBad, pushEvidence := judgeDirectPushes(f.DirectPushes)
	bad = append(bad, pushBad...)
	q.Evidence = append(q.Evidence, pushEvidence...)
	if len(bad) > 0 {
		q.Status, q.Reason = StatusFail, bad[0]
		if len(bad) > 1 {
			q.Reason = withMore(bad[0], len(bad)-1)
		}
		return q
	}
	if why := notMergeCommit(f); why != "" {
		q.Status, q.Reason = StatusFail, why
		q.Evidence = append(q.Evidence, Evidence{Kind: "merge_commit", Subject: short(f.SHA), SHA: f.SHA, Text: why})
		return q
	}
	refs := make([]string, len(f.PullRequests))
	for i, pr := range f.PullRequests {
		refs[i] = prRef(pr.Number)
	}
	q.Status, q.Reason = StatusPass, joinList(refs)+" merged with a passing decision"
	var emergencies []string
	for _, pr := range f.PullRequests {
		if pr.Emergency != "" {
			emergencies = append(emergencies, prRef(pr.Number)+" as emergency change "+pr.Emergency)
		}
	}
	if len(emergencies) > 0 {
		q.Reason += " (" + joinList(emergencies) + ", allowed by allow_emergency)"
	}
	if len(f.DirectPushes) > 0 {
		q.Reason += "; " + clearedPushes(f.DirectPushes)
	}
	return q
}

// notMergeCommit says why the deployed SHA is not the merge commit of a deployed PR, or
// "" when it is.
func notMergeCommit(f *DeploymentFacts) string {
	var merges []string
	for _, pr := range f.PullRequests {
		if pr.MergeCommitSHA != "" && strings.EqualFold(pr.MergeCommitSHA, f.SHA) {
			return ""
		}
		if pr.MergeCommitSHA != "" {
			merges = append(merges, prRef(pr.Number)+" merged as "+short(pr.MergeCommitSHA))
		} else {
			merges = append(merges, prRef(pr.Number)+" has no known merge commit")
		}
	}
	return short(f.SHA) + " is not the merge commit of a pull request merged with a passing decision (" +
		joinList(merges) + "): an intermediate commit or a direct push was not approved as deployed"
}

// independentDeployer requires a person who took no part in the deployed PRs.
func independentDeployer(f *DeploymentFacts) RequirementResult {
	q := RequirementResult{Kind: KindIndependentDeployer, Evidence: []Evidence{}}
	who := f.Deployer
	if who == "" || who == "ghost" || f.DeployerIsBot || isBot(who) {
		q.Status, q.Reason = StatusFail, "deployer "+orUnknown(who)+" is not a person: no independent deployer found"
		return q
	}
	var why []string
	for _, pr := range f.PullRequests {
		ref := prRef(pr.Number)
		switch {
		case sameLogin(pr.Author, who):
			why = append(why, who+" is the author of "+ref)
		case containsLogin(pr.CommitAuthors, who):
			why = append(why, who+" authored commits of "+ref)
		case !sameLogin(who, webFlow) && containsLogin(pr.Committers, who):
			why = append(why, who+" committed to "+ref)
		case containsLogin(pr.CoAuthors, who):
			why = append(why, who+" co-authored "+ref)
		case containsLogin(pr.Pushers, who):
			why = append(why, who+" pushed to "+ref)
		}
	}
	for _, w := range why {
		q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceNotCounted, Subject: who, Text: w})
	}
	if len(why) > 0 {
		q.Status, q.Reason = StatusFail, withMore(why[0], len(why)-1)
		return q
	}
	q.Status, q.Reason = StatusPass, "deployer "+who+" took no part in the deployed changes"
	q.Evidence = append(q.Evidence, Evidence{Kind: "deployer", Subject: who, Text: q.Reason})
	return q
}
