package facts

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"
)

// compareMaxFiles is how many files GitHub's compare answer lists at most. It cuts the
// rest without a sign in the answer, so 300 files may mean more.
const compareMaxFiles = 300

// headDiff is what a head brings over its base: its commits and its changed files.
type headDiff struct {
	commits commitsEntry
	files   filesEntry
}

// headDiff returns the commits and the changed files of pr at its head and base SHAs.
//
// When neither is cached, ONE request answers both: GitHub's compare base...head (the
// three-dot form: what head holds that the merge base with base does not, which is what
// the PR endpoints list). It is used only when it is the whole truth; otherwise the two PR
// endpoints (prCommits, prFiles) are read, concurrently, as before:
//   - the PR already says it has more commits than the cap, or 300 files or more (compare
//     would not be complete, so it is not even asked);
//   - compare answers 404 or 422 (a base SHA GitHub no longer knows, after a force-push of
//     the base), or another non-transient refusal (the endpoint is not available);
//   - its total_commits is missing, or is not the number of commits listed (GitHub lists
//     at most 250 without pagination), or is over the cap;
//   - it lists no commit (a base that moved past the head: the PR endpoints keep the PR's
//     own list);
//   - it has no files key at all (a GitHub-compatible server that omits it), 300 files or
//     more (GitHub's cut; the PR files endpoint lists up to 3000), or more than the file cap.
//
// A transient error (5xx, rate limit) is returned, as every other read's is: the
// evaluation is retried, never decided on a fallback that hides GitHub being unwell.
// Nothing is remembered about a repository whose compare failed: each call decides alone.
//
// The two caches keep their keys (see prCommits and prFiles): a compare result depends on
// the repository, head and base SHAs only, so storing it under the PR's commits key (which
// adds the number) is merely more specific, and the head...base part keeps the #18 rule:
// two PRs with the same head and different bases never share a list. With either list
// cached, the other is read from its PR endpoint (one request, like compare).
func (g *Gatherer) headDiff(ctx context.Context, client *github.Client, owner, repo string, number int, pr *github.PullRequest, st *Stats) (headDiff, error) {
	headSHA, baseSHA := pr.GetHead().GetSHA(), pr.GetBase().GetSHA()
	if headSHA != "" && baseSHA != "" {
		now := g.now()
		c, cok := g.commits.get(commitsKey(owner, repo, number, headSHA, baseSHA), now)
		f, fok := g.files.get(filesKey(owner, repo, headSHA, baseSHA), now)
		if cok && fok {
			st.CacheHits += 2
			return headDiff{commits: c, files: f}, nil
		}
		if !cok && !fok {
			d, why, err := g.compare(ctx, client, owner, repo, number, pr, st)
			if err != nil {
				return headDiff{}, err
			}
			if why == "" {
				return d, nil
			}
			zerolog.Ctx(ctx).Debug().Str("github_sha", headSHA).Str("reason", why).
				Msg("commits and files read from the pull request endpoints, not compare")
		}
	}
	var d headDiff
	grp, gctx := errgroup.WithContext(ctx)
	var part [2]Stats
	grp.Go(func() error {
		var err error
		d.commits.commits, d.commits.truncated, err = g.prCommits(gctx, client, owner, repo, number, headSHA, baseSHA, &part[0])
		return err
	})
	grp.Go(func() error {
		var err error
		d.files.files, d.files.truncated, err = g.prFiles(gctx, client, owner, repo, number, headSHA, baseSHA, &part[1])
		return err
	})
	err := grp.Wait()
	*st = st.Add(part[0]).Add(part[1])
	return d, err
}

// compare reads base...head of pr in one request and caches both lists. why is not empty
// when the answer is not the whole truth (see headDiff): the caller falls back.
func (g *Gatherer) compare(ctx context.Context, client *github.Client, owner, repo string, number int, pr *github.PullRequest, st *Stats) (headDiff, string, error) {
	headSHA, baseSHA := pr.GetHead().GetSHA(), pr.GetBase().GetSHA()
	switch {
	case pr.GetCommits() > g.maxCommits:
		return headDiff{}, fmt.Sprintf("the PR has %d commits, over the cap of %d", pr.GetCommits(), g.maxCommits), nil
	case pr.GetChangedFiles() >= compareMaxFiles || pr.GetChangedFiles() > g.maxFiles:
		return headDiff{}, fmt.Sprintf("the PR changes %d files: compare lists fewer than %d", pr.GetChangedFiles(), compareMaxFiles), nil
	}
	// No ListOptions: unpaginated, GitHub lists up to 250 commits and every file up to 300
	// (paginated, 100 commits a page at most).
	cmp, resp, err := client.Repositories.CompareCommits(ctx, owner, repo, baseSHA, headSHA, nil)
	st.count(resp, err)
	if err != nil {
		if compareRefused(err) {
			return headDiff{}, "compare answered " + err.Error(), nil
		}
		return headDiff{}, "", fmt.Errorf("compare %.7s...%.7s of %s/%s#%d: %w", baseSHA, headSHA, owner, repo, number, err)
	}
	commits, files := cmp.Commits, cmp.Files
	switch {
	case cmp.TotalCommits == nil:
		return headDiff{}, "compare answered no total_commits", nil
	case cmp.GetTotalCommits() != len(commits):
		return headDiff{}, fmt.Sprintf("compare listed %d of %d commits", len(commits), cmp.GetTotalCommits()), nil
	case len(commits) > g.maxCommits:
		return headDiff{}, fmt.Sprintf("compare listed %d commits, over the cap of %d", len(commits), g.maxCommits), nil
	case len(commits) == 0:
		return headDiff{}, "compare listed no commit", nil
	case files == nil:
		return headDiff{}, "compare answered no files", nil
	case len(files) >= compareMaxFiles:
		return headDiff{}, fmt.Sprintf("compare listed %d files: GitHub cuts at %d", len(files), compareMaxFiles), nil
	case len(files) > g.maxFiles:
		return headDiff{}, fmt.Sprintf("compare listed %d files, over the cap of %d", len(files), g.maxFiles), nil
	}
	d := headDiff{commits: commitsEntry{commits: commits}, files: filesEntry{files: fileNames(files)}}
	// As in prCommits: a list that does not end at the head is used but not cached.
	if commits[len(commits)-1].GetSHA() == headSHA {
		g.commits.put(commitsKey(owner, repo, number, headSHA, baseSHA), d.commits, zeroTime)
	}
	g.files.put(filesKey(owner, repo, headSHA, baseSHA), d.files, zeroTime)
	return d, "", nil
}

// compareRefused says whether compare's error means "this endpoint cannot answer this"
// rather than "GitHub is unwell": 404 and 422 (unknown or unrelated SHAs), any other 4xx
// that is not a rate limit (no access to the endpoint), and 501 (a GitHub-compatible
// server without it). Those fall back to the PR endpoints.
func compareRefused(err error) bool {
	var er *github.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return false
	}
	if er.Response.StatusCode == http.StatusNotImplemented {
		return true
	}
	code := er.Response.StatusCode
	return !IsTransient(err) && code >= 400 && code < 500
}
