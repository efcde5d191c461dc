package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// UpsertPR stores what foureyes knows of a pull request, replacing the previous state.
func (s *sqlStore) UpsertPR(ctx context.Context, pr PR) error {
	_, err := s.exec(ctx, `INSERT INTO prs (repo, number, installation_id, head_sha, head_ref, base_ref, open, last_event_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo, number) DO UPDATE SET installation_id = excluded.installation_id,
			head_sha = excluded.head_sha, head_ref = excluded.head_ref, base_ref = excluded.base_ref,
			open = excluded.open, last_event_at = excluded.last_event_at`,
		pr.Repo, pr.Number, pr.InstallationID, pr.HeadSHA, pr.HeadRef, pr.BaseRef, pr.Open, micros(pr.LastEventAt))
	if err != nil {
		return fmt.Errorf("upsert pr %s#%d: %w", pr.Repo, pr.Number, err)
	}
	return nil
}

const prCols = `repo, number, installation_id, head_sha, head_ref, base_ref, open, last_event_at`

func scanPR(sc interface{ Scan(...any) error }) (PR, error) {
	var (
		pr PR
		at int64
	)
	if err := sc.Scan(&pr.Repo, &pr.Number, &pr.InstallationID, &pr.HeadSHA, &pr.HeadRef, &pr.BaseRef, &pr.Open, &at); err != nil {
		return PR{}, err
	}
	pr.LastEventAt = fromMicros(at)
	return pr, nil
}

// GetPR returns ErrNotFound for an unknown PR.
func (s *sqlStore) GetPR(ctx context.Context, repo string, number int) (PR, error) {
	pr, err := scanPR(s.queryRow(ctx, `SELECT `+prCols+` FROM prs WHERE repo = ? AND number = ?`, repo, number))
	if errors.Is(err, sql.ErrNoRows) {
		return PR{}, fmt.Errorf("pr %s#%d: %w", repo, number, ErrNotFound)
	}
	if err != nil {
		return PR{}, fmt.Errorf("get pr %s#%d: %w", repo, number, err)
	}
	return pr, nil
}

// OpenPRsByHead lists the open PRs of repo whose head is sha.
func (s *sqlStore) OpenPRsByHead(ctx context.Context, repo, sha string) ([]PR, error) {
	return s.listPRs(ctx, `SELECT `+prCols+` FROM prs WHERE repo = ? AND head_sha = ? AND open ORDER BY number`, repo, sha)
}

// OpenPRs lists every open PR of repo ("" for all repos), by repo and number.
func (s *sqlStore) OpenPRs(ctx context.Context, repo string) ([]PR, error) {
	return s.listPRs(ctx, `SELECT `+prCols+` FROM prs WHERE (? = '' OR repo = ?) AND open ORDER BY repo, number`, repo, repo)
}

func (s *sqlStore) listPRs(ctx context.Context, q string, args ...any) ([]PR, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list prs %v: %w", args, err)
	}
	defer rows.Close()
	var out []PR
	for rows.Next() {
		pr, err := scanPR(rows)
		if err != nil {
			return nil, fmt.Errorf("list prs %v: %w", args, err)
		}
		out = append(out, pr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list prs %v: %w", args, err)
	}
	return out, nil
}
