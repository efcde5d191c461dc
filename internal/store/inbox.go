package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Enqueue stores a delivery; a duplicate of a pending, leased or done delivery changes
// nothing, a redelivery of a failed one makes it pending again.
func (s *sqlStore) Enqueue(ctx context.Context, d Delivery) (bool, error) {
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %s: headers: %w", d.ID, err)
	}
	if d.ReceivedAt.IsZero() {
		d.ReceivedAt = s.now()
	}
	if d.Body == nil {
		d.Body = []byte{}
	}
	res, err := s.execSync(ctx, durable, `INSERT INTO inbox (id, event, headers, body, received_at, status, attempts, not_before, lease_until, last_error)
		VALUES (?, ?, ?, ?, ?, 'pending', 0, 0, 0, '')
		ON CONFLICT (id) DO UPDATE SET event = excluded.event, headers = excluded.headers,
			body = excluded.body, received_at = excluded.received_at, status = 'pending',
			attempts = 0, not_before = 0, lease_until = 0
		WHERE inbox.status = 'failed'`,
		d.ID, d.Event, headers, d.Body, micros(d.ReceivedAt))
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %s: %w", d.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("enqueue delivery %s: %w", d.ID, err)
	}
	return n > 0, nil
}

const deliveryCols = `id, event, headers, body, received_at, status, attempts, not_before, lease_until, last_error, lease_token`

func scanDelivery(sc interface{ Scan(...any) error }) (Delivery, error) {
	var (
		d                          Delivery
		headers                    []byte
		received, notBefore, lease int64
		status                     string
	)
	if err := sc.Scan(&d.ID, &d.Event, &headers, &d.Body, &received, &status, &d.Attempts, &notBefore, &lease, &d.LastError, &d.LeaseHolder); err != nil {
		return Delivery{}, err
	}
	if err := json.Unmarshal(headers, &d.Headers); err != nil {
		return Delivery{}, fmt.Errorf("delivery %s headers: %w", d.ID, err)
	}
	d.Status = DeliveryStatus(status)
	d.ReceivedAt, d.NotBefore, d.LeaseUntil = fromMicros(received), fromMicros(notBefore), fromMicros(lease)
	return d, nil
}

// Claim leases up to n due deliveries in one statement. On PostgreSQL the inner SELECT
// skips rows another claimer has locked and the outer WHERE re-checks the status, so a
// delivery has one holder; SQLite serialises writers anyway.
func (s *sqlStore) Claim(ctx context.Context, n int, lease time.Duration) ([]Delivery, error) {
	if n <= 0 {
		return nil, nil
	}
	t := micros(s.now())
	q := s.claimQuery()
	var out []Delivery
	err := s.write(ctx, derived, func(ctx context.Context, tx querier) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, q, t, t, n, t+lease.Microseconds(), s.holder, t, t)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ReceivedAt.Equal(out[j].ReceivedAt) {
			return out[i].ReceivedAt.Before(out[j].ReceivedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// claimQuery is Claim's statement; its arguments are now, now, n, the lease's end, the
// holder, now, now.
func (s *sqlStore) claimQuery() string {
	due := `((status = 'pending' AND not_before <= ?) OR (status = 'leased' AND lease_until <= ?))`
	// The CTE is materialised so PostgreSQL picks the rows once: an IN (subquery ...
	// LIMIT) may be re-run per row by the planner and lease more than n.
	// "status IN ('pending', 'leased')" is inbox_open's own condition, written out so
	// both planners use that index (migration 00009): the oldest unsettled deliveries
	// in claim order, so a claim reads the first few entries whatever the backlog, and
	// the UPDATE then finds the picked rows by key.
	return s.d.rebind(`WITH picked AS MATERIALIZED (
			SELECT id FROM inbox WHERE status IN ('pending', 'leased') AND ` + due + `
			ORDER BY received_at, id LIMIT ?` + s.d.lockRows() + `)
		UPDATE inbox SET status = 'leased', lease_until = ?, lease_token = ?
		WHERE id IN (SELECT id FROM picked) AND ` + due + `
		RETURNING ` + deliveryCols)
}

func (s *sqlStore) setDelivery(ctx context.Context, op, id, q string, args ...any) error {
	res, err := s.exec(ctx, q, append(args, id)...)
	if err != nil {
		return fmt.Errorf("%s delivery %s: %w", op, id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s delivery %s: %w", op, id, err)
	} else if n == 0 {
		return fmt.Errorf("%s delivery %s: %w", op, id, ErrNotFound)
	}
	return nil
}

// Complete marks a delivery done.
func (s *sqlStore) Complete(ctx context.Context, id string) error {
	return s.setDelivery(ctx, "complete", id, `UPDATE inbox SET status = 'done', lease_until = 0 WHERE id = ?`)
}

// Retry returns a delivery to pending, due at notBefore, counting the attempt.
func (s *sqlStore) Retry(ctx context.Context, id string, notBefore time.Time, lastErr string) error {
	return s.setDelivery(ctx, "retry", id, `UPDATE inbox SET status = 'pending', lease_until = 0,
		attempts = attempts + 1, not_before = ?, last_error = ? WHERE id = ?`, micros(notBefore), lastErr)
}

// Fail marks a delivery failed for good, counting the attempt.
func (s *sqlStore) Fail(ctx context.Context, id string, lastErr string) error {
	return s.setDelivery(ctx, "fail", id, `UPDATE inbox SET status = 'failed', lease_until = 0,
		attempts = attempts + 1, last_error = ? WHERE id = ?`, lastErr)
}

// Release returns a leased delivery to pending without counting an attempt.
// A delivery that is no longer leased (completed meanwhile) is left alone.
func (s *sqlStore) Release(ctx context.Context, id string) error {
	if _, err := s.exec(ctx, `UPDATE inbox SET status = 'pending', lease_until = 0
		WHERE id = ? AND status = 'leased'`, id); err != nil {
		return fmt.Errorf("release delivery %s: %w", id, err)
	}
	return nil
}

// Renew extends the leases this store holds on ids, in one statement per chunk.
func (s *sqlStore) Renew(ctx context.Context, ids []string, lease time.Duration) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	until := micros(s.now().Add(lease))
	held := make(map[string]bool, len(ids))
	const chunk = 400
	for rest := ids; len(rest) > 0; {
		n := min(chunk, len(rest))
		args := []any{until, s.holder}
		for _, id := range rest[:n] {
			args = append(args, id)
		}
		q := s.d.rebind(`UPDATE inbox SET lease_until = ? WHERE status = 'leased' AND lease_token = ? AND id IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `) RETURNING id`)
		err := s.write(ctx, derived, func(ctx context.Context, tx querier) error {
			rows, err := tx.QueryContext(ctx, q, args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				held[id] = true
			}
			return rows.Err()
		})
		if err != nil {
			return nil, fmt.Errorf("renew %d leases: %w", len(ids), err)
		}
		rest = rest[n:]
	}
	var lost []string
	for _, id := range ids {
		if !held[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// Depth counts pending and leased deliveries.
func (s *sqlStore) Depth(ctx context.Context) (int, error) {
	var n int
	if err := s.queryRow(ctx, `SELECT count(*) FROM inbox WHERE status IN ('pending', 'leased')`).Scan(&n); err != nil {
		return 0, fmt.Errorf("inbox depth: %w", err)
	}
	return n, nil
}

// GetDelivery returns one delivery, or ErrNotFound.
func (s *sqlStore) GetDelivery(ctx context.Context, id string) (Delivery, error) {
	d, err := scanDelivery(s.queryRow(ctx, `SELECT `+deliveryCols+` FROM inbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("delivery %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("get delivery %s: %w", id, err)
	}
	return d, nil
}
