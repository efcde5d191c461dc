package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/facts"
)

// PullRequestReview handles pull_request_review: a review submitted, edited or dismissed
// changes who approved.
type PullRequestReview struct{ *Base }

func (h *PullRequestReview) Handles() []string { return []string{"pull_request_review"} }

func (h *PullRequestReview) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.PullRequestReviewEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	switch ev.GetAction() {
	case "submitted", "dismissed":
	case "edited":
		// GitHub sends edited when a review's body changes, never its state or commit:
		// nothing the policy reads.
		h.skipped(ctx, eventType, evaluate.SkipReviewEdited)
		return nil
	default:
		return nil
	}
	inst, repo, pr := ev.GetInstallation().GetID(), ev.GetRepo(), ev.GetPullRequest()
	if err := h.touchPR(ctx, inst, repo.GetFullName(), pr); err != nil {
		return err
	}
	if pr.GetMerged() || !pr.GetMergedAt().IsZero() {
		// A review after the merge may be the independent review an emergency change owes.
		t := evaluate.Target{InstallationID: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(),
			Number: pr.GetNumber(), DeliveryIDs: []string{deliveryID}}
		out, err := h.Evaluator.ReviewAfterEmergency(ctx, t)
		if err != nil {
			return err
		}
		if out.Record.Seq != 0 {
			Log(ctx).Info().Strs("reviewers", out.Result.Reviewers).Int64("audit_seq", out.Record.Seq).
				Msg("emergency change reviewed after the fact: obligation closed")
		}
		return nil
	}
	if ev.Review != nil && h.Evaluator != nil {
		h.Evaluator.ObserveReview(repo.GetFullName(), pr.GetNumber(), facts.ReviewFrom(ev.Review))
	}
	Evaluate(ctx, Subject{InstallationID: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Number: pr.GetNumber()})
	return nil
}
