package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Pushes decide independence (who pushed to a PR cannot approve it), so they are records
// of the signed chain, not rows of a table anyone with write access could edit or delete:
// RecordPush appends a "push" record and ListPushes reads those records back, re-checking
// each (VerifyRecord) before a decision uses it. The pushes table of migration 00001 is no
// longer written or read.

// pushDetails is the push record's facts document.
type pushDetails struct {
	Ref    string `json:"ref"`
	Before string `json:"before"`
	After  string `json:"after"`
	Pusher string `json:"pusher"`
	At     string `json:"at"`
}

// PushSubject is the subject of the push records of a branch.
func PushSubject(ref string) string { return "ref:" + ref }

// RecordPush appends a push record; the same (repo, after, pusher, delivery) twice is one
// push (a redelivered webhook appends nothing).
func (s *sqlStore) RecordPush(ctx context.Context, p Push) error {
	if p.At.IsZero() {
		p.At = s.now()
	}
	var one int
	err := s.queryRow(ctx, `SELECT 1 FROM audit_records WHERE repository = ? AND sha = ? AND kind = ? AND actor = ? AND delivery_id = ? LIMIT 1`,
		p.Repo, p.After, string(KindPush), p.Pusher, p.DeliveryID).Scan(&one)
	if err == nil {
		return nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("record push %s %s by %s: %w", p.Repo, p.After, p.Pusher, err)
	}
	details, err := json.Marshal(pushDetails{Ref: p.Ref, Before: p.Before, After: p.After, Pusher: p.Pusher,
		At: p.At.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return fmt.Errorf("record push %s %s by %s: %w", p.Repo, p.After, p.Pusher, err)
	}
	_, err = s.Append(ctx, Record{Kind: KindPush, DeliveryID: p.DeliveryID, Installation: p.Installation, Repository: p.Repo, PR: p.PR,
		SHA: p.After, Subject: PushSubject(p.Ref), Actor: p.Pusher, Outcome: "recorded", Facts: details})
	if err != nil {
		return fmt.Errorf("record push %s %s by %s: %w", p.Repo, p.After, p.Pusher, err)
	}
	return nil
}

// ListPushes returns the pushes of repo that name the PR or went to headRef, oldest
// first, each read from its chained record and re-checked. A push record that does not
// verify is an error (ErrTampered): the decision waits rather than trust less evidence.
// Push records appended before pushes had a subject are matched by the ref they name.
func (s *sqlStore) ListPushes(ctx context.Context, repo string, pr int, headRef string) ([]Push, error) {
	var recs []Record
	err := s.streamRecords(ctx, colsDocs, ` WHERE r.kind = ? AND r.repository = ? AND ((? > 0 AND r.pr = ?) OR (? <> '' AND r.subject = ?) OR (r.subject = '' AND r.pr = 0))`,
		[]any{string(KindPush), repo, pr, pr, headRef, PushSubject(headRef)}, ` ORDER BY r.seq`, func(c *ChainRecord) error {
			recs = append(recs, c.Record)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("list pushes of %s#%d: %w", repo, pr, err)
	}
	out := make([]Push, 0, len(recs))
	for _, r := range recs {
		var d pushDetails
		if err := json.Unmarshal(r.Facts, &d); err != nil {
			return nil, fmt.Errorf("list pushes of %s#%d: %w: push record %d has no readable details", repo, pr, ErrTampered, r.Seq)
		}
		if r.PR != pr && d.Ref != headRef {
			continue // an old record without subject, for another branch
		}
		if err := s.VerifyRecord(ctx, r); err != nil {
			return nil, fmt.Errorf("list pushes of %s#%d: push record %d: %w", repo, pr, r.Seq, err)
		}
		at, _ := time.Parse(time.RFC3339Nano, d.At)
		out = append(out, Push{Repo: r.Repository, Ref: d.Ref, PR: r.PR, Before: d.Before, After: d.After,
			Pusher: r.Actor, At: at, DeliveryID: r.DeliveryID, Installation: r.Installation})
	}
	return out, nil
}
