package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetCheckRun returns ErrNotFound when foureyes has no run for (repo, sha, name).
func (s *sqlStore) GetCheckRun(ctx context.Context, repo, sha, name string) (CheckRun, error) {
	var (
		c  CheckRun
		at int64
	)
	err := s.queryRow(ctx, `SELECT repo, sha, name, id, status, conclusion, fingerprint, updated_at
		FROM check_runs WHERE repo = ? AND sha = ? AND name = ?`, repo, sha, name).
		Scan(&c.Repo, &c.SHA, &c.Name, &c.ID, &c.Status, &c.Conclusion, &c.Fingerprint, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return CheckRun{}, fmt.Errorf("check run %q on %s@%s: %w", name, repo, sha, ErrNotFound)
	}
	if err != nil {
		return CheckRun{}, fmt.Errorf("get check run %q on %s@%s: %w", name, repo, sha, err)
	}
	c.UpdatedAt = fromMicros(at)
	return c, nil
}

// PutCheckRun stores or replaces the run of (repo, sha, name).
func (s *sqlStore) PutCheckRun(ctx context.Context, c CheckRun) error {
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = s.now()
	}
	_, err := s.exec(ctx, `INSERT INTO check_runs (repo, sha, name, id, status, conclusion, fingerprint, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo, sha, name) DO UPDATE SET id = excluded.id, status = excluded.status,
			conclusion = excluded.conclusion, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
		c.Repo, c.SHA, c.Name, c.ID, c.Status, c.Conclusion, c.Fingerprint, micros(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("put check run %q on %s@%s: %w", c.Name, c.Repo, c.SHA, err)
	}
	return nil
}
