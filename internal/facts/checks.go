package facts

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"

	"github.com/foureyes/foureyes/policy"
)

// Check sources, as in policy.Check.Source.
const (
	SourceCheckRun = "check_run"
	SourceStatus   = "status"
)

// CheckResults returns the check runs and commit statuses of a SHA, as the policy sees them:
// the deployment gate asks it for the SHA being deployed.
func (g *Gatherer) CheckResults(ctx context.Context, client *github.Client, owner, repo, sha string) ([]policy.Check, Stats, error) {
	var st Stats
	checks, err := checkResults(ctx, client, owner, repo, sha, &st)
	return checks, st, err
}

// checkResults lists check runs (latest of each name and app, GitHub's filter=latest) and
// every commit status of sha. Statuses are kept in full, each with id and time, because
// anyone with write access can post one: the policy takes the latest per context and can
// pin the creator; dropping older ones here would hide that history from the evidence.
func checkResults(ctx context.Context, client *github.Client, owner, repo, sha string, st *Stats) ([]policy.Check, error) {
	// Check runs and statuses are two independent lists: read at once.
	var (
		runs     []*github.CheckRun
		statuses []*github.RepoStatus
		part     [2]Stats
	)
	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		latest := "latest"
		opt := &github.ListCheckRunsOptions{Filter: &latest, ListOptions: github.ListOptions{PerPage: perPage}}
		for {
			res, resp, err := client.Checks.ListCheckRunsForRef(gctx, owner, repo, sha, opt)
			part[0].count(resp, err)
			if err != nil {
				return fmt.Errorf("list check runs of %s/%s@%s: %w", owner, repo, sha, err)
			}
			runs = append(runs, res.CheckRuns...)
			if resp.NextPage == 0 {
				return nil
			}
			opt.Page = resp.NextPage
		}
	})
	grp.Go(func() error {
		var err error
		statuses, err = listStatuses(gctx, client, owner, repo, sha, &part[1])
		return err
	})
	err := grp.Wait()
	*st = st.Add(part[0]).Add(part[1])
	if err != nil {
		return nil, err
	}
	return convertChecks(runs, statuses), nil
}

// convertChecks merges check runs and statuses into one list ordered by name, then source,
// then id.
func convertChecks(runs []*github.CheckRun, statuses []*github.RepoStatus) []policy.Check {
	out := make([]policy.Check, 0, len(runs)+len(statuses))
	for _, r := range runs {
		updated := r.CompletedAt
		if updated == nil {
			updated = r.StartedAt
		}
		out = append(out, policy.Check{
			Name:       r.GetName(),
			Source:     SourceCheckRun,
			App:        r.GetApp().GetSlug(),
			AppID:      r.GetApp().GetID(),
			Status:     r.GetStatus(),
			Conclusion: r.GetConclusion(),
			ID:         r.GetID(),
			UpdatedAt:  rfc3339(updated),
		})
	}
	for _, s := range statuses {
		updated := s.UpdatedAt
		if updated == nil {
			updated = s.CreatedAt
		}
		out = append(out, policy.Check{
			Name:      s.GetContext(),
			Source:    SourceStatus,
			State:     s.GetState(),
			Creator:   s.GetCreator().GetLogin(),
			ID:        s.GetID(),
			UpdatedAt: rfc3339(updated),
		})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		return a.ID < b.ID
	})
	return out
}

// listStatuses lists every commit status of sha (conditional: unchanged is a free 304).
func listStatuses(ctx context.Context, client *github.Client, owner, repo, sha string, st *Stats) ([]*github.RepoStatus, error) {
	statuses, _, err := paginate(st, 0, func(o *github.ListOptions) ([]*github.RepoStatus, *github.Response, error) {
		return client.Repositories.ListStatuses(ctx, owner, repo, sha, o)
	})
	if err != nil {
		return nil, fmt.Errorf("list statuses of %s/%s@%s: %w", owner, repo, sha, err)
	}
	return statuses, nil
}
