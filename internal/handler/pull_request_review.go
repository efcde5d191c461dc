package handler

import (
	"context"

	"github.com/google/go-github/v60/github"
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
	case "submitted", "edited", "dismissed":
	default:
		return nil
	}
	inst, repo, pr := ev.GetInstallation().GetID(), ev.GetRepo(), ev.GetPullRequest()
	if err := h.touchPR(ctx, inst, repo.GetFullName(), pr); err != nil {
		return err
	}
	Evaluate(ctx, Subject{InstallationID: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Number: pr.GetNumber()})
	return nil
}
