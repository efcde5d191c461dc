package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// RecordedFacts are the facts of a deployment decision as the audit log keeps them: the
// document the policy saw (inline, so `policy eval` can read it back), plus where the
// gate found each part.
type RecordedFacts struct {
	policy.DeploymentFacts
	RunID        int64        `json:"run_id"`
	PolicyRef    string       `json:"policy_ref"`
	DeployerFrom Deployer     `json:"deployer_from"`
	PREvidence   []PREvidence `json:"pr_evidence"`
	// Options are the server's gate settings the decision was made with
	// (policy.DeploymentOptions.Decide of the facts and the recorded policy re-derives it).
	Options policy.DeploymentOptions `json:"deployment_options"`
}

// decide loads the default branch's policy (never the deployed ref: a deployment must not
// choose its own rules), gathers the facts the applicable rules need, and evaluates.
func (g *Gate) decide(ctx context.Context, client *github.Client, r Request, runID int64, subject string) (RecordedFacts, store.PolicySource, policy.DeploymentDecision, error) {
	rf := RecordedFacts{RunID: runID, PREvidence: []PREvidence{},
		DeploymentFacts: policy.DeploymentFacts{Environment: r.Environment, SHA: r.SHA, Ref: r.Ref, Event: r.Event,
			PullRequests: []policy.DeployedPR{}, Checks: []policy.Check{}, DirectPushes: []policy.DeployedDirectPush{}}}
	branch := r.DefaultBranch
	if branch == "" {
		repo, _, err := client.Repositories.Get(ctx, r.Owner, r.Repo)
		if err != nil {
			return rf, store.PolicySource{}, policy.DeploymentDecision{}, fmt.Errorf("default branch of %s: %w", r.FullName(), err)
		}
		branch = repo.GetDefaultBranch()
	}
	rf.PolicyRef = branch
	dep, err := resolveDeployer(ctx, client, r, runID)
	if err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	rf.DeployerFrom, rf.Deployer, rf.DeployerIsBot = dep, dep.Login, !dep.Person
	if !dep.Person {
		rf.DeployerNote = dep.Note
	}
	loaded, err := g.Evaluator.Policies.Load(ctx, client, r.InstallationID, r.Owner, r.Repo, branch)
	if err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	in := loaded.Inputs
	in.Missing = g.Evaluator.Missing
	if loaded.Err != nil {
		d := policy.DeploymentErrorDecision(r.Environment, r.SHA, loaded.Err)
		var perrs policy.Errors
		if errors.As(loaded.Err, &perrs) {
			// Files that do not parse or merge: re-performable from the files as read (an
			// unreadable org file is not: nothing was read).
			d.PolicyDigest = policy.InputsDigest(in)
		}
		return rf, loaded.Source, d, g.Evaluator.KeepPolicyInputs(ctx, d.PolicyDigest, in)
	}
	opts := policy.DeploymentOptions{UnknownEnvironments: append([]string{}, g.RejectUnknown...)}
	rf.Options = opts
	if err := g.Evaluator.KeepPolicyInputs(ctx, loaded.Policy.Digest(), in); err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	if opts.Evaluate(loaded.Policy, rf.DeploymentFacts).NoRuleApplied || r.SHA == "" {
		// No rule names the environment, or there is no commit to judge: nothing to
		// gather, the answer depends on the environment alone.
		return rf, loaded.Source, opts.Decide(loaded.Policy, rf.DeploymentFacts), nil
	}
	prs, err := g.pullsOf(ctx, client, r)
	if err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	for _, pr := range prs {
		dp, ev, err := g.deployedPR(ctx, client, r, pr, subject)
		if err != nil {
			return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
		}
		rf.PullRequests = append(rf.PullRequests, dp)
		rf.PREvidence = append(rf.PREvidence, ev)
	}
	// The PRs do not say what else the SHA's history ships: the direct pushes under it.
	if rf.DirectPushes, err = g.directPushes(ctx, client, r); err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	checks, _, err := g.Evaluator.Gatherer.CheckResults(ctx, client, r.Owner, r.Repo, r.SHA)
	if err != nil {
		return rf, store.PolicySource{}, policy.DeploymentDecision{}, err
	}
	rf.Checks = append(rf.Checks, checks...)
	g.addChangeRequests(ctx, loaded.Policy, &rf.DeploymentFacts)
	return rf, loaded.Source, opts.Decide(loaded.Policy, rf.DeploymentFacts), nil
}
