package facts

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// prReviews lists every review of a pull request. Reviews change (new, dismissed), so they
// are read on every gather; through a caching client an unchanged list is a free 304.
func prReviews(ctx context.Context, client *github.Client, owner, repo string, number int, st *Stats) ([]policy.Review, error) {
	reviews, _, err := paginate(st, 0, func(opt *github.ListOptions) ([]*github.PullRequestReview, *github.Response, error) {
		return client.PullRequests.ListReviews(ctx, owner, repo, number, opt)
	})
	if err != nil {
		return nil, fmt.Errorf("list reviews of %s/%s#%d: %w", owner, repo, number, err)
	}
	return convertReviews(reviews), nil
}

// convertReviews normalises reviews: state upper case (webhooks send lower case, REST upper
// case), times RFC 3339 UTC, ordered by submission time then id (reviews without a time,
// i.e. pending, first).
func convertReviews(reviews []*github.PullRequestReview) []policy.Review {
	type keyed struct {
		at time.Time
		r  policy.Review
	}
	ks := make([]keyed, 0, len(reviews))
	for _, r := range reviews {
		ks = append(ks, keyed{at: timeOf(r.SubmittedAt), r: policy.Review{
			ID:          r.GetID(),
			User:        r.GetUser().GetLogin(),
			State:       strings.ToUpper(r.GetState()),
			CommitID:    r.GetCommitID(),
			SubmittedAt: rfc3339(r.SubmittedAt),
		}})
	}
	sort.SliceStable(ks, func(i, j int) bool {
		if !ks[i].at.Equal(ks[j].at) {
			return ks[i].at.Before(ks[j].at)
		}
		return ks[i].r.ID < ks[j].r.ID
	})
	out := make([]policy.Review, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.r)
	}
	return out
}
