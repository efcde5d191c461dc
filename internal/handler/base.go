package handler

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/store"
)

// Base is what every handler needs.
type Base struct {
	Store      store.Store
	Clients    githubapp.ClientCreator
	Evaluator  *evaluate.Evaluator
	AppID      int64  // foureyes' own app id: its own check runs are not someone else's checks
	PolicyPath string // ".github/foureyes.yml"
	// MaxBackfill bounds how many open PRs one event may queue for evaluation (installation
	// added, policy changed on a branch), so a large org cannot exhaust the rate limit.
	MaxBackfill int
	Now         func() time.Time
	// OrgRepo is the org repository holding the org policy (".github"): a push changing it
	// drops the cached policies of every repository of the owner.
	OrgRepo string
	// Selections records each installation's repository selection; the installation
	// webhooks update it at once (may be nil).
	Selections *ghclient.Selections
}

// decode parses a payload into an event struct, naming the event in the error.
func decode(eventType string, payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return fmt.Errorf("decode %s payload: %w", eventType, err)
	}
	return nil
}

// repoContext adds the repository to the logger of ctx.
func repoContext(ctx context.Context, installationID int64, repo *github.Repository) (context.Context, zerolog.Logger) {
	return githubapp.PrepareRepoContext(ctx, installationID, repo)
}

// audit appends a record to the audit log.
func (b *Base) audit(ctx context.Context, r store.Record, details any) error {
	if details != nil {
		raw, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("encode %s details: %w", r.Kind, err)
		}
		r.Facts = raw
	}
	if _, err := b.Store.Append(ctx, r); err != nil {
		return fmt.Errorf("append %s record: %w", r.Kind, err)
	}
	return nil
}

// touchPR remembers that an event concerned a PR (the sweeper compares this with the
// check run's age).
func (b *Base) touchPR(ctx context.Context, installationID int64, repo string, pr *github.PullRequest) error {
	err := b.Store.UpsertPR(ctx, store.PR{
		Repo: repo, Number: pr.GetNumber(), InstallationID: installationID,
		HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(), BaseRef: pr.GetBase().GetRef(),
		Open: pr.GetState() == "open", LastEventAt: b.Now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("remember %s#%d: %w", repo, pr.GetNumber(), err)
	}
	return nil
}

// evaluateHead asks for an evaluation of every open PR of repo whose head is sha: the
// payload's own list when it has one, else foureyes' own map (fork PRs' check events
// carry no PRs). skip (may be nil) names why the event cannot change one PR's decision;
// such a PR costs nothing, and the skip is counted and logged.
func (b *Base) evaluateHead(ctx context.Context, event string, installationID int64, repo *github.Repository, sha string, fromPayload []*github.PullRequest, skip func(number int) string) error {
	owner, name := repo.GetOwner().GetLogin(), repo.GetName()
	seen := map[int]bool{}
	ask := func(number int) {
		seen[number] = true
		if skip != nil && b.Evaluator != nil {
			if why := skip(number); why != "" {
				b.Evaluator.Skipped(ctx, event, why)
				return
			}
		}
		Evaluate(ctx, Subject{InstallationID: installationID, Owner: owner, Repo: name, Number: number})
	}
	for _, pr := range fromPayload {
		if pr.GetBase().GetRepo().GetID() != 0 && pr.GetBase().GetRepo().GetID() != repo.GetID() {
			continue
		}
		ask(pr.GetNumber())
	}
	prs, err := b.Store.OpenPRsByHead(ctx, repo.GetFullName(), sha)
	if err != nil {
		return fmt.Errorf("open PRs with head %s: %w", sha, err)
	}
	for _, pr := range prs {
		if !seen[pr.Number] {
			ask(pr.Number)
		}
	}
	return nil
}

// skipped counts and logs an event that asks for no evaluation at all.
func (b *Base) skipped(ctx context.Context, event, reason string) {
	if b.Evaluator != nil {
		b.Evaluator.Skipped(ctx, event, reason)
	}
}
