package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
)

// PullRequest handles pull_request: it records pushes (synchronize) and merges (closed),
// and asks for an evaluation whenever the PR's facts or base may have changed.
type PullRequest struct{ *Base }

func (h *PullRequest) Handles() []string { return []string{"pull_request"} }

func (h *PullRequest) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.PullRequestEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	inst := ev.GetInstallation().GetID()
	repo := ev.GetRepo()
	pr := ev.GetPullRequest()
	ctx, logger := repoContext(ctx, inst, repo)
	logger = logger.With().Int("github_pr_num", pr.GetNumber()).Str("action", ev.GetAction()).Logger()
	ctx = logger.WithContext(ctx)
	if err := h.touchPR(ctx, inst, repo.GetFullName(), pr); err != nil {
		return err
	}
	subject := Subject{InstallationID: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Number: pr.GetNumber()}
	observe := func() {
		if h.Evaluator != nil && pr != nil {
			h.Evaluator.ObservePR(repo.GetFullName(), pr) // the payload is the PR as it is now
		}
	}
	readPolicy := func() {
		// A PR opened, reopened or moved to another base is judged by the policy as it
		// is now on its base: the cached one is read again.
		if h.Evaluator != nil {
			h.Evaluator.PolicyChanged(repo.GetFullName(), pr.GetBase().GetRef())
		}
	}
	switch ev.GetAction() {
	case "synchronize":
		if err := h.recordPush(ctx, deliveryID, inst, repo.GetFullName(), pr, ev.GetBefore(), ev.GetAfter(), ev.GetSender().GetLogin()); err != nil {
			return err
		}
		observe()
		Evaluate(ctx, subject)
	case "edited":
		// A new base is judged under the new base's policy; a new title or body may add
		// or remove the ticket reference. Anything else cannot change the decision.
		ch := ev.GetChanges()
		if why := h.skipEdit(repo.GetFullName(), pr.GetNumber(), ch); why != "" {
			h.skipped(ctx, eventType, why)
			return nil
		}
		readPolicy()
		observe()
		Evaluate(ctx, subject)
	case "opened":
		readPolicy()
		if h.Evaluator != nil && pr != nil {
			h.Evaluator.ObserveOpened(repo.GetFullName(), pr)
		}
		Evaluate(ctx, subject)
	case "reopened":
		readPolicy()
		observe()
		Evaluate(ctx, subject)
	case "ready_for_review", "converted_to_draft":
		observe()
		Evaluate(ctx, subject)
	case "closed":
		if h.Evaluator != nil {
			h.Evaluator.ForgetState(repo.GetFullName(), pr.GetNumber())
			h.Evaluator.Forget(repo.GetFullName(), pr.GetNumber())
		}
		// Other open PRs on the same head share its check run, which showed the worst of
		// their decisions: they are judged again without this one.
		if err := h.evaluateHead(ctx, eventType, inst, repo, pr.GetHead().GetSHA(), nil, nil); err != nil {
			return err
		}
		if pr.GetMerged() {
			return h.recordMerge(ctx, deliveryID, inst, repo.GetFullName(), pr)
		}
	}
	return nil
}

func (h *PullRequest) skipEdit(repo string, number int, ch *github.EditChange) string {
	if h.Evaluator == nil || ch == nil {
		return "" // GitHub always says what changed: without it, evaluate
	}
	title, body, base := ch.GetTitle() != nil, ch.GetBody() != nil, ch.GetBase() != nil
	return h.Evaluator.SkipEdit(repo, number, title, body, base)
}

// recordPush stores who pushed what: GitHub cannot tell later.
func (h *PullRequest) recordPush(ctx context.Context, deliveryID string, inst int64, repo string, pr *github.PullRequest, before, after, pusher string) error {
	p := store.Push{Repo: repo, Ref: pr.GetHead().GetRef(), PR: pr.GetNumber(), Before: before, After: after,
		Pusher: pusher, At: h.Now().UTC(), DeliveryID: deliveryID}
	return recordPush(ctx, h.Base, inst, p)
}

// recordPush appends the push to the audit chain, from which independence is judged.
func recordPush(ctx context.Context, b *Base, inst int64, p store.Push) error {
	p.Installation = inst
	return b.Store.RecordPush(ctx, p)
}
