package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// checkDirectPush records a push to the default branch that does not come from a pull
// request merged with a passing decision as a violation naming the pusher and the
// commits. The facts are gathered here (GitHub's pull requests of the pushed head, each
// with foureyes' last decision on it); policy.DecidePush decides.
func (h *Push) checkDirectPush(ctx context.Context, deliveryID string, ev *github.PushEvent, branch, pusher string) error {
	repo := ev.GetRepo()
	full := repo.GetFullName()
	def := repo.GetDefaultBranch()
	if def == "" {
		def = repo.GetMasterBranch()
	}
	if branch != def {
		return nil
	}
	f := policy.PushFacts{Repository: full, Branch: branch, DefaultBranch: def, Before: ev.GetBefore(), After: ev.GetAfter(),
		Pusher: pusher, Forced: ev.GetForced(), Commits: []string{}, MergedPRs: []policy.MergedPR{}}
	for _, c := range ev.Commits {
		if c != nil && c.GetID() != "" {
			f.Commits = append(f.Commits, c.GetID())
		}
	}
	if d := policy.DecidePush(f); !d.Violation && d.PR == 0 {
		return nil // not a change of the protected branch: no need to ask GitHub
	}
	owner := repo.GetOwner().GetLogin()
	if owner == "" {
		owner = repo.GetOwner().GetName()
	}
	client, err := h.Clients.NewInstallationClient(ev.GetInstallation().GetID())
	if err != nil {
		return fmt.Errorf("installation client: %w", err)
	}
	prs, _, err := client.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo.GetName(), f.After, &github.ListOptions{PerPage: 100})
	if err != nil {
		return fmt.Errorf("pull requests of %s@%s: %w", full, f.After, err)
	}
	for _, pr := range prs {
		if pr.GetMergedAt().IsZero() && !pr.GetMerged() {
			continue
		}
		m := policy.MergedPR{Number: pr.GetNumber(), MergeCommitSHA: pr.GetMergeCommitSHA(), HeadSHA: pr.GetHead().GetSHA(), MergedBy: pr.GetMergedBy().GetLogin()}
		last, err := h.Store.Latest(ctx, store.Filter{Repo: full, PR: pr.GetNumber(), Kinds: []store.Kind{store.KindPRDecision, store.KindPolicyError}})
		switch {
		case err == nil:
			m.DecisionOutcome, m.DecisionSHA, m.DecisionSeq = last.Outcome, last.SHA, last.Seq
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("last decision of %s#%d: %w", full, pr.GetNumber(), err)
		}
		f.MergedPRs = append(f.MergedPRs, m)
	}
	d := policy.DecidePush(f)
	if !d.Violation {
		return nil
	}
	subject := "push:" + f.After
	if _, err := h.Store.Latest(ctx, store.Filter{Repo: full, Subject: subject, Kinds: []store.Kind{store.KindViolation}}); err == nil {
		return nil // a redelivered push: recorded once
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("earlier violation of %s: %w", subject, err)
	}
	Log(ctx).Warn().Str("pusher", pusher).Str("sha", f.After).Str("reason", d.Reason).Msg("push to the default branch outside a passing pull request")
	rec := store.Record{Kind: store.KindViolation, DeliveryID: deliveryID, Installation: ev.GetInstallation().GetID(),
		Repository: full, SHA: f.After, Subject: subject, Actor: pusher, Outcome: "violation"}
	if rec.Decision, err = json.Marshal(d); err != nil {
		return fmt.Errorf("encode push decision: %w", err)
	}
	return h.audit(ctx, rec, f)
}
