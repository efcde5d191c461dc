package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PolicyTexts keeps each distinct policy text once, by the policy digest decisions record,
// so a decision can be re-performed from its record (evidence packages). Implemented by
// both backends, beside Store.
type PolicyTexts interface {
	// PutPolicyText stores body under digest; a digest already stored keeps its first
	// body (the same digest is the same policy).
	PutPolicyText(ctx context.Context, digest string, body []byte) error
	// PolicyText returns the body stored under digest, or ErrNotFound.
	PolicyText(ctx context.Context, digest string) ([]byte, error)
}

var _ PolicyTexts = (*sqlStore)(nil)

func (s *sqlStore) PutPolicyText(ctx context.Context, digest string, body []byte) error {
	if _, err := s.exec(ctx, `INSERT INTO policy_texts (digest, body) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING`, digest, body); err != nil {
		return fmt.Errorf("store policy text %s: %w", digest, err)
	}
	return nil
}

func (s *sqlStore) PolicyText(ctx context.Context, digest string) ([]byte, error) {
	var body []byte
	err := s.queryRow(ctx, `SELECT body FROM policy_texts WHERE digest = ?`, digest).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read policy text %s: %w", digest, err)
	}
	return body, nil
}
