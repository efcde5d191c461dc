package handler

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
)

// Push handles push: it records who pushed (for every branch, since a branch may become
// a PR head later), and when the push changes the policy file on a branch, re-evaluates
// the open PRs that target that branch.
type Push struct{ *Base }

func (h *Push) Handles() []string { return []string{"push"} }

func (h *Push) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.PushEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	branch, ok := strings.CutPrefix(ev.GetRef(), "refs/heads/")
	if !ok || ev.GetDeleted() {
		return nil
	}
	inst := ev.GetInstallation().GetID()
	repo := ev.GetRepo()
	full := repo.GetFullName()
	pusher := ev.GetSender().GetLogin()
	if pusher == "" {
		pusher = ev.GetPusher().GetName()
	}
	p := store.Push{Repo: full, Ref: branch, Before: ev.GetBefore(), After: ev.GetAfter(), Pusher: pusher,
		At: h.Now().UTC(), DeliveryID: deliveryID}
	if err := recordPush(ctx, h.Base, inst, p); err != nil {
		return err
	}
	if err := h.checkDirectPush(ctx, deliveryID, &ev, branch, pusher); err != nil {
		return err
	}
	if h.Evaluator != nil && h.OrgRepo != "" && repo.GetName() == h.OrgRepo && h.touches(&ev, strings.TrimPrefix(h.PolicyPath, ".github/")) {
		h.Evaluator.PolicyChanged(full, "") // the org policy: every repository of the owner
	}
	if h.Evaluator != nil {
		// Any push to a branch may change what its policy reads (the file, a Rego module
		// it names): the cached policy of that branch is read again next time.
		h.Evaluator.PolicyChanged(full, branch)
	}
	if !h.touchesPolicy(&ev) {
		return nil
	}
	owner := repo.GetOwner().GetLogin()
	if owner == "" {
		owner = repo.GetOwner().GetName()
	}
	open, err := h.Store.OpenPRs(ctx, full)
	if err != nil {
		return fmt.Errorf("open PRs of %s: %w", full, err)
	}
	queued := 0
	for _, pr := range open {
		if pr.BaseRef != branch {
			continue
		}
		if queued == h.MaxBackfill {
			Log(ctx).Warn().Int("limit", h.MaxBackfill).Msg("policy changed: more open PRs than the backfill limit; the sweeper evaluates the rest")
			break
		}
		EvaluateBackground(ctx, Subject{InstallationID: inst, Owner: owner, Repo: repo.GetName(), Number: pr.Number})
		queued++
	}
	return nil
}

func (h *Push) touchesPolicy(ev *github.PushEvent) bool { return h.touches(ev, h.PolicyPath) }

func (h *Push) touches(ev *github.PushEvent, path string) bool {
	for _, c := range ev.Commits {
		if c == nil {
			continue
		}
		if slices.Contains(c.Added, path) || slices.Contains(c.Modified, path) || slices.Contains(c.Removed, path) {
			return true
		}
	}
	return false
}
