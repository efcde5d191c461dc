package backtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Records is the part of the audit log a backtest reads.
type Records interface {
	// Query streams the records that match f, in sequence order.
	Query(ctx context.Context, f store.Filter, fn func(store.Record) error) error
	// Latest returns the last record that matches f, or store.ErrNotFound.
	Latest(ctx context.Context, f store.Filter) (store.Record, error)
}

// mergeDetails is the part of a merge record's evidence a backtest needs.
type mergeDetails struct {
	HeadSHA  string `json:"head_sha"`
	MergedAt string `json:"merged_at"`
}

// FromAudit lists the changes of repo merged in [since, until) according to the audit
// log, each with the facts of the last decision on its merged head. first is the time
// of the repository's first record (when foureyes started watching it; zero when it has
// none): changes merged before it are not in the log.
func FromAudit(ctx context.Context, r Records, repo string, since, until time.Time) (changes []Change, first time.Time, err error) {
	err = r.Query(ctx, store.Filter{Repo: repo}, func(rec store.Record) error {
		first = rec.RecordedAt
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, first, fmt.Errorf("first audit record of %s: %w", repo, err)
	}
	var merges []store.Record
	// A merge is recorded when it happens, never before: records since the start hold
	// every merge of the period, which merged_at then bounds.
	err = r.Query(ctx, store.Filter{Repo: repo, Kinds: []store.Kind{store.KindMerge}, Since: since}, func(rec store.Record) error {
		merges = append(merges, rec)
		return nil
	})
	if err != nil {
		return nil, first, fmt.Errorf("merge records of %s: %w", repo, err)
	}
	for _, m := range merges {
		var d mergeDetails
		_ = json.Unmarshal(m.Facts, &d)
		c := Change{Repo: repo, PR: m.PR, HeadSHA: d.HeadSHA, MergedAt: m.RecordedAt, Source: SourceAudit, Recorded: m.Outcome}
		if t, err := time.Parse(time.RFC3339, d.MergedAt); err == nil {
			c.MergedAt = t
		}
		if c.MergedAt.Before(since) || !c.MergedAt.Before(until) {
			continue
		}
		if c.Recorded == "stale" {
			c.Recorded = "pass" // passed on an older head: the merged head itself had no pass
		}
		dec, err := r.Latest(ctx, store.Filter{Repo: repo, PR: m.PR, SHA: d.HeadSHA, Kinds: []store.Kind{store.KindPRDecision}, Until: m.RecordedAt.Add(time.Nanosecond)})
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && len(dec.Facts) == 0):
			c.NoFacts = "no decision with facts was recorded on the merged head " + short(d.HeadSHA)
		case err != nil:
			return nil, first, fmt.Errorf("decision of %s#%d: %w", repo, m.PR, err)
		default:
			var f policy.Facts
			if err := json.Unmarshal(dec.Facts, &f); err != nil {
				c.NoFacts = "recorded facts do not decode: " + err.Error()
			} else {
				c.Facts = &f
				c.Recorded = dec.Outcome
			}
		}
		changes = append(changes, c)
	}
	return changes, first, nil
}

var errStop = errors.New("stop")

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
