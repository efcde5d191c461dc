package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
)

// MergeGroup handles merge_group checks_requested. When foureyes is a required check, the
// merge queue waits for it on the group's own head SHA; without an answer queued PRs
// never merge, and a blind "success" (what policy-bot posts) would let a PR that lost its
// approval in the queue through. Every PR of the group is judged, not only the one the
// queue ref names (evaluate.MergeGroup).
type MergeGroup struct{ *Base }

func (h *MergeGroup) Handles() []string { return []string{"merge_group"} }

func (h *MergeGroup) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.MergeGroupEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	if ev.GetAction() != "checks_requested" {
		return nil
	}
	g := ev.GetMergeGroup()
	repo := ev.GetRepo()
	ref := evaluate.MergeGroupRef{HeadSHA: g.GetHeadSHA(), HeadRef: g.GetHeadRef(), BaseSHA: g.GetBaseSHA(), HeadMessage: g.GetHeadCommit().GetMessage()}
	return h.Evaluator.MergeGroup(ctx, ev.GetInstallation().GetID(), repo.GetOwner().GetLogin(), repo.GetName(), ref, deliveryID)
}

// mergeGroupPRs reads the PR numbers a merge group's ref and head message name.
func mergeGroupPRs(headRef, message string) []int { return evaluate.MergeGroupPRs(headRef, message) }
