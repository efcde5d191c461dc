package evaluate

import (
	"context"
	"errors"
	"fmt"

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
