package facts

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/foureyes/foureyes/policy"
)

// PullRequest gathers the Facts of owner/repo#number. The requests: the PR (unless opt.PR
// is given); then, concurrently, its commits and changed files in one compare of its base
// and head SHAs (unless cached for this PR, head and base SHA; the commits and files
// endpoints of the PR when compare cannot give the whole lists, see headDiff), its reviews
// (unless opt.Reviews), the check runs and statuses of the head SHA (unless opt.Checks);
// then the public profiles of reviewers when a co-author trailer is unresolved, and the
// permission and team membership of the users opt.NeedUsers names (unless cached).
//
// Errors name the failing call and wrap go-github's error: IsTransient and RetryAfter
// classify them.
func (g *Gatherer) PullRequest(ctx context.Context, client *github.Client, owner, repo string, number int, opt PROptions) (policy.Facts, Stats, error) {
	var st Stats
	pr := opt.PR
	if pr == nil || pr.GetNumber() != number {
		got, resp, err := client.PullRequests.Get(ctx, owner, repo, number)
		st.count(resp, err)
		if err != nil {
			return policy.Facts{}, st, fmt.Errorf("get pull request %s/%s#%d: %w", owner, repo, number, err)
		}
		pr = got
	}
	headSHA := pr.GetHead().GetSHA()

	f := policy.Facts{
		Repository:  owner + "/" + repo,
		PullRequest: convertPR(pr),
		Version:     policy.FactsVersion,
	}

	// The independent reads run at once: commits and files of a head, reviews and check
	// results do not depend on each other. Each keeps its own Stats, summed after.
	var (
		diff headDiff
		part [3]Stats
	)
	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		var err error
		diff, err = g.headDiff(gctx, client, owner, repo, number, pr, &part[0])
		return err
	})
	if opt.Reviews != nil {
		f.Reviews = append([]policy.Review{}, (*opt.Reviews)...)
	} else {
		grp.Go(func() error {
			var err error
			f.Reviews, err = prReviews(gctx, client, owner, repo, number, &part[1])
			return err
		})
	}
	if opt.Checks != nil {
		f.Checks = append([]policy.Check{}, (*opt.Checks)...)
	} else {
		grp.Go(func() error {
			var err error
			if f.Checks, err = checkResults(gctx, client, owner, repo, headSHA, &part[2]); err != nil {
				return fmt.Errorf("checks of %s/%s#%d: %w", owner, repo, number, err)
			}
			return nil
		})
	}
	err := grp.Wait()
	for _, p := range part {
		st = st.Add(p)
	}
	if err != nil {
		return policy.Facts{}, st, err
	}
	commits, commitsTrunc := diff.commits.commits, diff.commits.truncated
	files, filesTrunc := diff.files.files, diff.files.truncated
	// GitHub itself stops listing at 250 commits: the PR's own count tells when it did.
	if pr.GetCommits() > g.maxCommits {
		commitsTrunc = true
	}
	var pending []pendingTrailer
	f.Commits, pending = convertCommitsTrailers(commits)

	shas := map[string]bool{}
	if headSHA != "" {
		shas[headSHA] = true
	}
	for _, c := range f.Commits {
		shas[c.SHA] = true
	}
	var openedAt time.Time
	if pr.GetHead().GetRepo().GetFullName() == "" || pr.GetHead().GetRepo().GetFullName() == pr.GetBase().GetRepo().GetFullName() {
		openedAt = pr.GetCreatedAt().Time
	}
	f.Pushes = filterPushes(opt.Pushes, shas, number, openedAt)
	f.Emergency = opt.Declarations

	var profiles map[string]profile
	if len(pending) > 0 {
		if profiles, err = g.reviewerProfiles(ctx, client, &f, &st); err != nil {
			return policy.Facts{}, st, fmt.Errorf("reviewers of %s/%s#%d: %w", owner, repo, number, err)
		}
		resolveTrailers(&f, pending, profiles)
	}
	// Likewise GitHub stops listing at 3000 files.
	if pr.GetChangedFiles() > g.maxFiles {
		filesTrunc = true
	}
	f.ChangedFiles = append([]string{}, files...)

	if commitsTrunc || filesTrunc {
		f.Truncated = &policy.Truncated{Commits: commitsTrunc, Files: filesTrunc}
	}

	f.Users = map[string]policy.User{}
	if opt.NeedUsers != nil {
		users, err := g.users(ctx, client, owner, repo, opt.NeedUsers(f), opt.Teams, opt.CachedUsersOnly, &st)
		if err != nil {
			return policy.Facts{}, st, fmt.Errorf("users of %s/%s#%d: %w", owner, repo, number, err)
		}
		f.Users = users
	}
	withProfiles(f.Users, profiles)
	zerolog.Ctx(ctx).Debug().Str("github_sha", headSHA).Int("github_requests", st.Requests).
		Int("github_not_modified", st.NotModified).Int("facts_cache_hits", st.CacheHits).
		Int("commits", len(f.Commits)).Int("changed_files", len(f.ChangedFiles)).Msg("gathered pull request facts")
	return f, st, nil
}

// convertPR keeps what the policy reads of a pull request.
func convertPR(pr *github.PullRequest) policy.PullRequest {
	return policy.PullRequest{
		Number: pr.GetNumber(),
		Title:  pr.GetTitle(),
		Body:   pr.GetBody(),
		Author: pr.GetUser().GetLogin(),
		Draft:  pr.GetDraft(),
		State:  pr.GetState(),
		Merged: pr.GetMerged(),
		Base:   policy.GitRef{Ref: pr.GetBase().GetRef(), SHA: pr.GetBase().GetSHA()},
		Head:   policy.GitRef{Ref: pr.GetHead().GetRef(), SHA: pr.GetHead().GetSHA()},
	}
}
