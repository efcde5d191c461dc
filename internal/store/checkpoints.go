package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// GetCheckpoint returns "" when the key was never set.
func (s *sqlStore) GetCheckpoint(ctx context.Context, key string) (string, error) {
	var v string
	err := s.queryRow(ctx, `SELECT value FROM checkpoints WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("get checkpoint %q: %w", key, err)
	}
	return v, nil
}

// SetCheckpoint stores value under key, replacing what was there.
func (s *sqlStore) SetCheckpoint(ctx context.Context, key, value string) error {
	if _, err := s.exec(ctx, `INSERT INTO checkpoints (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("set checkpoint %q: %w", key, err)
	}
	return nil
}
