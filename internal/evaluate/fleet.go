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
