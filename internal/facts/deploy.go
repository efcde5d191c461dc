package facts

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-github/v60/github"
)

// PullsForCommit lists the pull requests associated with a commit (GET
// commits/{sha}/pulls): for a deployment, the PRs that brought the SHA, whose merge-time
// decisions the gate looks up. Ordered by number.
func (g *Gatherer) PullsForCommit(ctx context.Context, client *github.Client, owner, repo, sha string) ([]*github.PullRequest, Stats, error) {
	var st Stats
	pulls, _, err := paginate(&st, 0, func(opt *github.ListOptions) ([]*github.PullRequest, *github.Response, error) {
		return client.PullRequests.ListPullRequestsWithCommit(ctx, owner, repo, sha, opt)
	})
	if err != nil {
		return nil, st, fmt.Errorf("list pull requests of %s/%s@%s: %w", owner, repo, sha, err)
	}
	sort.SliceStable(pulls, func(i, j int) bool { return pulls[i].GetNumber() < pulls[j].GetNumber() })
	return pulls, st, nil
}
