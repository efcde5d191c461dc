package evaluate

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
)

// Fleet-wide lock names (store.Locks). Evaluations of one PR take their lock for the whole
// evaluation, so a decision is never overwritten by one gathered earlier on another
// replica; every write of a check run takes the lock of its head SHA, so two replicas
// never both find no run and both create one. The order is always PR (or merge group),
// then head: no two holders wait for each other.
func prLockName(t Target) string { return fmt.Sprintf("eval:%s/%s#%d", t.Owner, t.Repo, t.Number) }

// fleetLockKey carries an evaluation's PR lock (prLockName) down to its check-run write.
type fleetLockKey struct{}

func withFleetLock(ctx context.Context, l store.Lock) context.Context {
	return context.WithValue(ctx, fleetLockKey{}, l)
}

// checkFleetLock fails with a transient store.ErrLockLost when the evaluation's PR lock
// was lost (its database session ended: a PostgreSQL restart or failover) while it ran.
// Another replica may then have evaluated the PR from newer facts and published; writing
// this evaluation's older decision after it would leave the PR on a stale check. Checked
// under the head's lock, right before the write: a replica that took the PR lock after
// that check waits for the head lock, so it publishes after this write.
func checkFleetLock(ctx context.Context) error {
	l, _ := ctx.Value(fleetLockKey{}).(store.Lock)
	if l == nil {
		return nil
	}
	return l.Check(ctx)
}

func headLockName(repo, sha string) string { return "check:" + repo + "@" + sha }

func mergeGroupLockName(repo, sha string) string { return "merge-group:" + repo + "@" + sha }

// decisionKinds are the kinds of a PR's decision records.
var decisionKinds = []store.Kind{store.KindPRDecision, store.KindPolicyError}

// appendDecision appends a PR decision once per fact: when the PR's latest decision
// record already states the same content (same head, policy, facts and decision), that
// record is the decision and nothing is appended; otherwise the record's fact key names
// the content and the record it follows, so two evaluations racing from the same inputs
// (two replicas, a delivery taken over after its lease) still add one record.
func (e *Evaluator) appendDecision(ctx context.Context, r store.Record) (store.Record, error) {
	var prev int64
	last, err := e.Store.Latest(ctx, store.Filter{Repo: r.Repository, PR: r.PR, Kinds: decisionKinds})
	switch {
	case err == nil:
		if store.DecisionContent(last) == store.DecisionContent(r) {
			return last, nil
		}
		prev = last.Seq
	case !errors.Is(err, store.ErrNotFound):
		return store.Record{}, fmt.Errorf("last decision of %s#%d: %w", r.Repository, r.PR, err)
	}
	r.FactKey = store.DecisionFactKey(r, prev)
	return e.Store.Append(ctx, r)
}

// adoptRun finds foureyes' own run on sha when the store knows none, on a fleet only: a
// replica can create the run and then die, or lose its database, before it stores the
// id; the delivery's retry must update that run, not create a second one on the head.
// It costs one request per new head SHA, and only with several replicas (a single
// process stores the id in the same step, or retries with the id it has).
func (e *Evaluator) adoptRun(ctx context.Context, client *github.Client, owner, repo, sha string) (int64, error) {
	if !e.Fleet || e.AppID == 0 {
		return 0, nil
	}
	res, _, err := client.Checks.ListCheckRunsForRef(ctx, owner, repo, sha, &github.ListCheckRunsOptions{
		CheckName: github.String(e.CheckName), AppID: github.Int64(e.AppID), Filter: github.String("all")})
	if err != nil {
		return 0, fmt.Errorf("look for an existing %s run on %s/%s@%s: %w", e.CheckName, owner, repo, sha, err)
	}
	var id int64
	for _, r := range res.CheckRuns {
		if r.GetApp().GetID() == e.AppID && r.GetName() == e.CheckName && (id == 0 || r.GetID() < id) {
			id = r.GetID() // the first one created: the run branch protection has seen longest
		}
	}
	return id, nil
}
