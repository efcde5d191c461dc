package facts

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// The converters below turn what a webhook payload carries into the Facts' own types,
// exactly as a read of the same object would: the evaluator applies them to its last
// read so an event that changes one check or one review costs no GitHub request.

// CheckFromRun is a check run as the policy sees it.
func CheckFromRun(r *github.CheckRun) policy.Check {
	return convertChecks([]*github.CheckRun{r}, nil)[0]
}

// CheckFromStatus is a commit status as the policy sees it.
func CheckFromStatus(ev *github.StatusEvent) policy.Check {
	return convertChecks(nil, []*github.RepoStatus{{
		ID: ev.ID, Context: ev.Context, State: ev.State, Creator: ev.Sender,
		CreatedAt: ev.CreatedAt, UpdatedAt: ev.UpdatedAt,
	}})[0]
}

// ReviewFrom is a pull request review as the policy sees it.
func ReviewFrom(r *github.PullRequestReview) policy.Review {
	return convertReviews([]*github.PullRequestReview{r})[0]
}

// Reviews reads every review of a pull request (a green's confirmation reads them again).
func (g *Gatherer) Reviews(ctx context.Context, client *github.Client, owner, repo string, number int) ([]policy.Review, Stats, error) {
	var st Stats
	rs, err := prReviews(ctx, client, owner, repo, number, &st)
	return rs, st, err
}
