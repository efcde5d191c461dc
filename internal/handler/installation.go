package handler

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
)

// Installation handles installation and installation_repositories: it records who
// installed foureyes where (evidence that the control was in place), learns the
// installation's repository selection (an admin switching from all repositories to
// selected ones changes what a 404 on the org's .github means, from this event on, not
// from the next token an hour later), and evaluates the open PRs of repositories that
// were added, bounded by MaxBackfill.
type Installation struct{ *Base }

func (h *Installation) Handles() []string {
	return []string{"installation", "installation_repositories"}
}

func (h *Installation) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var (
		inst      *github.Installation
		action    string
		sender    string
		selection string
		added     []*github.Repository
		remove    []*github.Repository
	)
	switch eventType {
	case "installation":
		var ev github.InstallationEvent
		if err := decode(eventType, payload, &ev); err != nil {
			return err
		}
		inst, action, sender = ev.GetInstallation(), ev.GetAction(), ev.GetSender().GetLogin()
		selection = inst.GetRepositorySelection()
		if action == "created" {
			added = ev.Repositories
		}
	default:
		var ev github.InstallationRepositoriesEvent
		if err := decode(eventType, payload, &ev); err != nil {
			return err
		}
		inst, action, sender = ev.GetInstallation(), ev.GetAction(), ev.GetSender().GetLogin()
		added, remove = ev.RepositoriesAdded, ev.RepositoriesRemoved
		if selection = ev.GetRepositorySelection(); selection == "" {
			selection = inst.GetRepositorySelection()
		}
	}
	h.learnSelection(ctx, eventType, action, inst, selection)
	names := func(rs []*github.Repository) []string {
		out := make([]string, 0, len(rs))
		for _, r := range rs {
			out = append(out, r.GetFullName())
		}
		return out
	}
	err := h.audit(ctx, store.Record{Kind: store.KindInstallation, DeliveryID: deliveryID, Installation: inst.GetID(),
		Actor: sender, Outcome: eventType + "." + action},
		map[string]any{"account": inst.GetAccount().GetLogin(), "added": names(added), "removed": names(remove)})
	if err != nil {
		return err
	}
	return h.backfill(ctx, inst.GetID(), added)
}

// learnSelection records the selection the event states and drops the account's cached
// policies, which were loaded under the selection known then (whether a 404 on the org
// repository meant "no baseline"): the next evaluation of each PR loads them again.
func (h *Installation) learnSelection(ctx context.Context, eventType, action string, inst *github.Installation, selection string) {
	if eventType == "installation" && action == "deleted" {
		h.Selections.Forget(inst.GetID())
		return
	}
	if selection == "" {
		return
	}
	if h.Selections.Learn(inst.GetID(), selection, eventType) {
		Log(ctx).Info().Int64("installation", inst.GetID()).Str("repository_selection", selection).Msg("installation repository selection changed")
	}
	if account := inst.GetAccount().GetLogin(); h.Evaluator != nil && account != "" {
		h.Evaluator.PolicyChanged(account+"/", "")
	}
}

// backfill queues the open PRs of newly covered repositories.
func (h *Installation) backfill(ctx context.Context, inst int64, repos []*github.Repository) error {
	if len(repos) == 0 {
		return nil
	}
	client, err := h.Clients.NewInstallationClient(inst)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", inst, err)
	}
	queued := 0
	for _, r := range repos {
		owner, name, _ := strings.Cut(r.GetFullName(), "/")
		prs, _, err := client.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}})
		if err != nil {
			return fmt.Errorf("list open PRs of %s: %w", r.GetFullName(), err)
		}
		for _, pr := range prs {
			if queued == h.MaxBackfill {
				Log(ctx).Warn().Int("limit", h.MaxBackfill).Msg("more open PRs than the backfill limit; the sweeper evaluates the rest")
				return nil
			}
			if err := h.touchPR(ctx, inst, r.GetFullName(), pr); err != nil {
				return err
			}
			EvaluateBackground(ctx, Subject{InstallationID: inst, Owner: owner, Repo: name, Number: pr.GetNumber()})
			queued++
		}
	}
	return nil
}
