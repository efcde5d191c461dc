package backtest

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/policy"
)

// GitHub gathers, from GitHub, the facts of changes merged before foureyes watched the
// repository. Those facts are what GitHub says now: reviews, checks and commits are as
// they were, but pushes were never recorded (a rule that needs to know who pushed
// cannot see them), and team membership and permissions are today's.
type GitHub struct {
	Client   *github.Client
	Gatherer *facts.Gatherer
	// Reserve is how many requests of the installation's rate limit to leave for the
	// server: the backtest stops before it would go below.
	Reserve int
	// PerChange is an estimate of the requests gathering one change costs, used to stop
	// before the reserve rather than inside it.
	PerChange int
}

// Merged returns the changes of owner/name merged in [since, before) that are not in
// skip (already in the audit log), with their facts for p (the users and teams p needs).
// incomplete says, when the rate limit stopped it, how many changes were not gathered.
func (g GitHub) Merged(ctx context.Context, repo string, since, before time.Time, skip map[int]bool, p *policy.Policy) (changes []Change, incomplete string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok {
		return nil, "", fmt.Errorf("--repo must be owner/name, got %q", repo)
	}
	var merged []*github.PullRequest
	opt := &github.PullRequestListOptions{State: "closed", Sort: "updated", Direction: "desc", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := g.Client.PullRequests.List(ctx, owner, name, opt)
		if err != nil {
			return nil, "", fmt.Errorf("list closed pull requests of %s: %w", repo, err)
		}
		older := 0
		for _, pr := range page {
			if pr.GetUpdatedAt().Time.Before(since) {
				older++ // updated before the period: merged before it too
			}
			at := pr.GetMergedAt().Time
			if pr.MergedAt == nil || at.Before(since) || !at.Before(before) || skip[pr.GetNumber()] {
				continue
			}
			merged = append(merged, pr)
		}
		if resp.NextPage == 0 || (len(page) > 0 && older == len(page)) {
			break
		}
		opt.Page = resp.NextPage
	}
	perChange := max(g.PerChange, 1)
	for i, pr := range merged {
		lim, _, err := g.Client.RateLimit.Get(ctx) // free: does not count against the limit
		if err != nil {
			return changes, "", fmt.Errorf("rate limit: %w", err)
		}
		if core := lim.GetCore(); core != nil && core.Remaining-perChange < g.Reserve {
			return changes, fmt.Sprintf("stopped at GitHub's rate limit: %d requests left (reserve %d, about %d per change), resets at %s; %d merged changes not evaluated",
				core.Remaining, g.Reserve, perChange, core.Reset.UTC().Format(time.RFC3339), len(merged)-i), nil
		}
		f, _, err := g.Gatherer.PullRequest(ctx, g.Client, owner, name, pr.GetNumber(),
			facts.PROptions{PR: pr, NeedUsers: p.RelevantUsers, Teams: p.Teams()})
		if err != nil {
			return changes, "", fmt.Errorf("facts of %s#%d: %w", repo, pr.GetNumber(), err)
		}
		changes = append(changes, Change{Repo: repo, PR: pr.GetNumber(), HeadSHA: pr.GetHead().GetSHA(),
			MergedAt: pr.GetMergedAt().Time, Source: SourceGitHub, Facts: &f})
	}
	return changes, "", nil
}
