package store

import (
	"context"
	"fmt"
)

// RecordPush stores a push; the same (repo, after, pusher, delivery) twice is one push.
func (s *sqlStore) RecordPush(ctx context.Context, p Push) error {
	if p.At.IsZero() {
		p.At = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO pushes (repo, ref, pr, before_sha, after_sha, pusher, at, delivery_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		p.Repo, p.Ref, p.PR, p.Before, p.After, p.Pusher, micros(p.At), p.DeliveryID)
	if err != nil {
		return fmt.Errorf("record push %s %s by %s: %w", p.Repo, p.After, p.Pusher, err)
	}
	return nil
}

// ListPushes returns the pushes of repo that name the PR or went to headRef, oldest
// first (ties by delivery, so the order is stable).
func (s *sqlStore) ListPushes(ctx context.Context, repo string, pr int, headRef string) ([]Push, error) {
	rows, err := s.query(ctx, `SELECT repo, ref, pr, before_sha, after_sha, pusher, at, delivery_id FROM pushes
		WHERE repo = ? AND ((? > 0 AND pr = ?) OR (? <> '' AND ref = ?))
		ORDER BY at, delivery_id, after_sha`, repo, pr, pr, headRef, headRef)
	if err != nil {
		return nil, fmt.Errorf("list pushes of %s#%d: %w", repo, pr, err)
	}
	defer rows.Close()
	var out []Push
	for rows.Next() {
		var (
			p  Push
			at int64
		)
		if err := rows.Scan(&p.Repo, &p.Ref, &p.PR, &p.Before, &p.After, &p.Pusher, &at, &p.DeliveryID); err != nil {
			return nil, fmt.Errorf("list pushes of %s#%d: %w", repo, pr, err)
		}
		p.At = fromMicros(at)
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list pushes of %s#%d: %w", repo, pr, err)
	}
	return out, nil
}
