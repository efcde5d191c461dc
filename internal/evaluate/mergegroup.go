package evaluate

import (
	"context"
	"fmt"
	"strings"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/policy"
)

// MergeGroup posts foureyes on a merge queue group's head SHA: success only when every
// PR in the group has a passing decision on its own head under its base branch's policy,
// evaluated now (a queued PR may have lost an approval since it was queued).
func (e *Evaluator) MergeGroup(ctx context.Context, installationID int64, owner, repo, headSHA string, prs []int, deliveryID string) error {
	groupLock, err := e.Store.Lock(ctx, mergeGroupLockName(owner+"/"+repo, headSHA))
	if err != nil {
		return fmt.Errorf("lock merge group %s/%s@%s: %w", owner, repo, headSHA, err)
	}
	defer groupLock.Release()
	ctx, counter := ghclient.WithCounter(ctx)
	client, err := e.Clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", installationID, err)
	}
	group := policy.Decision{Outcome: policy.OutcomePass, Rules: []policy.RuleResult{}}
	if len(prs) == 0 {
		group.Outcome = policy.OutcomeFail
		group.Title = "cannot tell which pull requests this merge group holds"
	}
	var failing []string
	for _, n := range prs {
		t := Target{InstallationID: installationID, Owner: owner, Repo: repo, Number: n, DeliveryIDs: []string{deliveryID}}
		pr, _, err := client.PullRequests.Get(ctx, owner, repo, n)
		if err != nil {
			return fmt.Errorf("get pull request %s/%s#%d of merge group %s: %w", owner, repo, n, headSHA, err)
		}
		d, err := e.decide(ctx, client, t, pr)
		if err != nil {
			return err
		}
		if _, err := e.record(ctx, t, pr, d); err != nil {
			return err
		}
		status := policy.StatusPass
		if d.Decision.Outcome != policy.OutcomePass || d.output.Conclusion == "failure" {
			status = policy.StatusFail
			failing = append(failing, fmt.Sprintf("#%d", n))
		}
		group.Rules = append(group.Rules, policy.RuleResult{
			Name: fmt.Sprintf("#%d %s", n, pr.GetTitle()), Status: status,
			Reason:       fmt.Sprintf("%s on %.7s: %s", d.Decision.Outcome, pr.GetHead().GetSHA(), d.Decision.Title),
			Requirements: []policy.RequirementResult{},
		})
	}
	if len(failing) > 0 {
		group.Outcome = policy.OutcomeFail
		group.Title = "not approved: " + strings.Join(failing, ", ")
	} else if len(prs) > 0 {
		group.Title = fmt.Sprintf("all %d pull request(s) in the group pass", len(prs))
	}
	out := report.CheckRun(group)
	if group.Outcome == policy.OutcomePass {
		out.Conclusion = "success"
	} else {
		out.Conclusion = "failure"
	}
	Log(ctx).Info().Str("merge_group_sha", headSHA).Ints("prs", prs).Str("outcome", string(group.Outcome)).
		Int64("github_requests", counter.Requests()).Msg("merge group evaluated")
	return e.publish(ctx, client, owner, repo, headSHA, out, nil)
}
