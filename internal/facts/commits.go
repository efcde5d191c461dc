package facts

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// commitsEntry is the commit list of one pull request at one head and base SHA.
type commitsEntry struct {
	commits   []*github.RepositoryCommit
	truncated bool
}

// prCommits returns the commits of a pull request, oldest first, at most g.maxCommits, from
// the PR commits endpoint: headDiff's fallback when compare cannot give the whole list.
//
// The list depends on the base as much as on the head (it is head minus what the base
// already holds), so it is cached by pull request, head SHA and base SHA together: two PRs
// with the same head and different bases (a decoy to a branch that already holds someone's
// commit) must never share a list, and a base that moved is listed again. A list whose
// last commit is not the head SHA (a push landed between reading the PR and listing its
// commits) is used but not cached, so the next evaluation, which that push triggers,
// reads it again.
func (g *Gatherer) prCommits(ctx context.Context, client *github.Client, owner, repo string, number int, headSHA, baseSHA string, st *Stats) ([]*github.RepositoryCommit, bool, error) {
	key := commitsKey(owner, repo, number, headSHA, baseSHA)
	if e, ok := g.commits.get(key, g.now()); ok && headSHA != "" && baseSHA != "" {
		st.CacheHits++
		return e.commits, e.truncated, nil
	}
	commits, truncated, err := paginate(st, g.maxCommits, func(opt *github.ListOptions) ([]*github.RepositoryCommit, *github.Response, error) {
		return client.PullRequests.ListCommits(ctx, owner, repo, number, opt)
	})
	if err != nil {
		return nil, false, fmt.Errorf("list commits of %s/%s#%d: %w", owner, repo, number, err)
	}
	if headSHA != "" && baseSHA != "" && (truncated || (len(commits) > 0 && commits[len(commits)-1].GetSHA() == headSHA)) {
		g.commits.put(key, commitsEntry{commits: commits, truncated: truncated}, zeroTime)
	}
	return commits, truncated, nil
}

// commitsKey is the commits cache key of a PR at a head and base SHA.
func commitsKey(owner, repo string, number int, headSHA, baseSHA string) string {
	return fmt.Sprintf("%s/%s#%d@%s...%s", owner, repo, number, headSHA, baseSHA)
}

// emailLogins maps every author and committer e-mail of the commits (lower case) to the
// login GitHub gave it, so a co-author trailer with the same e-mail names that account.
func emailLogins(commits []*github.RepositoryCommit) map[string]string {
	m := map[string]string{}
	add := func(email, login string) {
		if email != "" && login != "" {
			m[strings.ToLower(email)] = login
		}
	}
	for _, c := range commits {
		add(c.GetCommit().GetAuthor().GetEmail(), c.GetAuthor().GetLogin())
		add(c.GetCommit().GetCommitter().GetEmail(), c.GetCommitter().GetLogin())
	}
	return m
}

// convertCommits turns GitHub's commits into policy commits, in PR order. The committer
// "web-flow" (commits made on github.com) is reported as GitHub gives it: the policy
// decides to ignore it, and the evidence shows it.
func convertCommits(commits []*github.RepositoryCommit) []policy.Commit {
	out, _ := convertCommitsTrailers(commits)
	return out
}

// pendingTrailer is a co-author trailer that neither a noreply e-mail nor a commit e-mail
// resolved: reviewers' public profiles may still (resolveTrailers).
type pendingTrailer struct {
	commit int // index in the commits
	slot   int // index in that commit's CoAuthors, which holds the name as written
	ca     CoAuthor
}

// convertCommitsTrailers is convertCommits, also returning the trailers left unresolved.
func convertCommitsTrailers(commits []*github.RepositoryCommit) ([]policy.Commit, []pendingTrailer) {
	logins := emailLogins(commits)
	out := make([]policy.Commit, 0, len(commits))
	var pending []pendingTrailer
	for i, c := range commits {
		pc := policy.Commit{
			SHA:       c.GetSHA(),
			Parents:   []string{},
			Author:    c.GetAuthor().GetLogin(),
			Committer: c.GetCommitter().GetLogin(),
			CoAuthors: []string{},
			Message:   c.GetCommit().GetMessage(),
			Verified:  c.GetCommit().GetVerification().GetVerified(),
			// For ticket.verify's independent_approver, which matches approvers by e-mail.
			AuthorEmail:    strings.ToLower(c.GetCommit().GetAuthor().GetEmail()),
			CommitterEmail: strings.ToLower(c.GetCommit().GetCommitter().GetEmail()),
		}
		for _, p := range c.Parents {
			pc.Parents = append(pc.Parents, p.GetSHA())
		}
		seen := map[string]bool{}
		for _, ca := range ParseCoAuthors(pc.Message) {
			name := ResolveCoAuthor(ca, logins)
			if _, ok := resolveLogin(ca, logins); !ok {
				pending = append(pending, pendingTrailer{commit: i, slot: len(pc.CoAuthors), ca: ca})
			}
			if !seen[strings.ToLower(name)] {
				seen[strings.ToLower(name)] = true
				pc.CoAuthors = append(pc.CoAuthors, name)
			} else if n := len(pending); n > 0 && pending[n-1].commit == i && pending[n-1].ca == ca {
				pending[n-1].slot = slicesIndexFold(pc.CoAuthors, name)
			}
		}
		out = append(out, pc)
	}
	return out, pending
}

func slicesIndexFold(list []string, s string) int {
	for i, v := range list {
		if strings.EqualFold(v, s) {
			return i
		}
	}
	return -1
}
