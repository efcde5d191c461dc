package evaluate

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/foureyes/foureyes/internal/facts"
)

// graphqlPause is how long GraphQL is left alone after the endpoint was missing or
// refused foureyes' query (a GitHub-compatible server without it, or a schema change):
// REST answers meanwhile, and the pause keeps that from costing a failed request each time.
const graphqlPause = time.Hour

// graphqlMaxUnusable is how many answers in a row may be unusable (errors, an unexpected
// shape) before GraphQL is paused as if missing: a server that answers 200 to every
// query but not this one would otherwise cost a wasted request per confirmation.
const graphqlMaxUnusable = 3

// confirmGraphQL is confirm in one GraphQL request (facts.PullState: the PR, its reviews,
// its head's check runs and the permissions of users) plus the REST statuses of the head,
// which an unchanged list answers with a free 304. ok false with a nil error: GraphQL is
// not configured, paused, or could not answer this time; confirm reads REST instead.
//
// The PR of the first pass (a webhook payload, or this evaluation's REST read) is kept
// when GraphQL says every field a decision reads is as it says; otherwise it is read
// again from REST, so the evaluation never runs on a PR built from a partial answer.
func (e *Evaluator) confirmGraphQL(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest, conf *known, users []string) (*github.PullRequest, *known, bool, error) {
	if !e.graphqlUsable() {
		return nil, nil, false, nil
	}
	head := pr.GetHead().GetSHA()
	var (
		ps       facts.PullState
		statuses []*github.RepoStatus
	)
	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		var err error
		ps, _, err = e.Gatherer.PullState(gctx, client, e.GraphQLURL, t.Owner, t.Repo, t.Number, users)
		return err
	})
	if conf.checks == nil {
		grp.Go(func() error {
			var err error
			statuses, _, err = e.Gatherer.Statuses(gctx, client, t.Owner, t.Repo, head)
			return err
		})
	}
	err := grp.Wait()
	if errors.Is(err, facts.ErrGraphQLUnusable) {
		log := zerolog.Ctx(ctx).Warn().Err(err)
		if facts.GraphQLUnavailable(err) || e.graphqlUnusable.Add(1) >= graphqlMaxUnusable {
			e.graphqlUnusable.Store(0)
			e.graphqlOffUntil.Store(time.Now().Add(graphqlPause).UnixNano())
			log = log.Dur("graphql_paused_for", graphqlPause)
		}
		log.Msg("GraphQL confirmation unusable: confirming with REST reads")
		e.Metrics.GraphQLFallbacks.Inc()
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, err
	}
	e.graphqlUnusable.Store(0)
	c := *conf
	if c.reviews == nil && ps.Reviews != nil {
		c.reviews = &ps.Reviews
	}
	if c.checks == nil && ps.CheckRuns != nil && ps.HeadSHA == head {
		checks := facts.ChecksOf(ps.CheckRuns, statuses)
		c.checks = &checks
	}
	fresh := pr
	if !samePR(pr, ps) {
		// The PR changed since the first pass (or GraphQL sees it otherwise): read it
		// whole. The caller reads everything of a new head.
		if fresh, err = e.getPR(ctx, client, t); err != nil {
			return nil, nil, false, err
		}
		if fresh.GetHead().GetSHA() != head {
			return fresh, &c, true, nil // pushed meanwhile: the caller reads the new head whole
		}
	}
	// A list too long for one page: the rest from REST, as confirm does.
	if err := e.readUnknown(ctx, client, t, head, &c); err != nil {
		return nil, nil, false, err
	}
	return fresh, &c, true, nil
}

// graphqlUsable says whether GraphQL is configured and not paused.
func (e *Evaluator) graphqlUsable() bool {
	return e.GraphQLURL != "" && time.Now().UnixNano() >= e.graphqlOffUntil.Load()
}

// samePR says whether GitHub's current state agrees with pr on everything a decision
// reads of the pull request (policy.PullRequest), the base SHA aside: the commits and
// files are read for the base SHA pr names, and policy.JudgeMerge checks the base at the
// merge.
func samePR(pr *github.PullRequest, ps facts.PullState) bool {
	return pr.GetNumber() == ps.Number && pr.GetState() == ps.State && pr.GetMerged() == ps.Merged &&
		pr.GetDraft() == ps.Draft && pr.GetTitle() == ps.Title && pr.GetBody() == ps.Body &&
		strings.EqualFold(pr.GetUser().GetLogin(), ps.Author) &&
		pr.GetHead().GetRef() == ps.HeadRef && pr.GetHead().GetSHA() == ps.HeadSHA &&
		pr.GetBase().GetRef() == ps.BaseRef
}
