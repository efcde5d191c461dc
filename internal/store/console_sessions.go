package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// CreateSession stores a new session.
func (s *sqlStore) CreateSession(ctx context.Context, ss Session) error {
	access := []byte(ss.Access)
	if access == nil {
		access = []byte("null")
	}
	_, err := s.execSync(ctx, durable, `INSERT INTO console_sessions (token_hash, user_id, login, csrf, created_at, expires_at, checked_at, access)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, ss.TokenHash, ss.UserID, ss.Login, ss.CSRF, micros(ss.CreatedAt), micros(ss.ExpiresAt),
		micros(ss.CheckedAt), access)
	if err != nil {
		return fmt.Errorf("create console session of %s: %w", ss.Login, err)
	}
	return nil
}

// GetSession returns an unexpired session.
func (s *sqlStore) GetSession(ctx context.Context, tokenHash string, now time.Time) (Session, error) {
	var (
		ss                Session
		created, exp, chk int64
		access            []byte
	)
	err := s.queryRow(ctx, `SELECT token_hash, user_id, login, csrf, created_at, expires_at, checked_at, access
		FROM console_sessions WHERE token_hash = ? AND expires_at > ?`, tokenHash, micros(now)).
		Scan(&ss.TokenHash, &ss.UserID, &ss.Login, &ss.CSRF, &created, &exp, &chk, &access)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("get console session: %w", err)
	}
	ss.CreatedAt, ss.ExpiresAt, ss.CheckedAt, ss.Access = fromMicros(created), fromMicros(exp), fromMicros(chk), json.RawMessage(access)
	return ss, nil
}

// UpdateSessionAccess records a fresh authorization check.
func (s *sqlStore) UpdateSessionAccess(ctx context.Context, tokenHash string, checkedAt time.Time, access json.RawMessage) error {
	if _, err := s.exec(ctx, `UPDATE console_sessions SET checked_at = ?, access = ? WHERE token_hash = ?`,
		micros(checkedAt), []byte(access), tokenHash); err != nil {
		return fmt.Errorf("update console session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *sqlStore) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.execSync(ctx, durable, `DELETE FROM console_sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of a user.
func (s *sqlStore) DeleteUserSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := s.execSync(ctx, durable, `DELETE FROM console_sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete console sessions of user %d: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// PutLogin stores a login under way.
func (s *sqlStore) PutLogin(ctx context.Context, l PendingLogin) error {
	if _, err := s.exec(ctx, `INSERT INTO console_logins (state_hash, verifier, return_to, created_at) VALUES (?, ?, ?, ?)`,
		l.StateHash, l.Verifier, l.ReturnTo, micros(l.CreatedAt)); err != nil {
		return fmt.Errorf("store console login: %w", err)
	}
	return nil
}

// TakeLogin returns and removes a login under way: the DELETE decides, so two callbacks
// with one state cannot both succeed.
func (s *sqlStore) TakeLogin(ctx context.Context, stateHash string, notBefore time.Time) (PendingLogin, error) {
	var (
		l       PendingLogin
		created int64
		found   bool
	)
	err := s.write(ctx, derived, func(ctx context.Context, tx querier) error {
		err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT state_hash, verifier, return_to, created_at FROM console_logins WHERE state_hash = ?`), stateHash).
			Scan(&l.StateHash, &l.Verifier, &l.ReturnTo, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM console_logins WHERE state_hash = ?`), stateHash)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		found = n == 1
		return nil
	})
	if err != nil {
		return PendingLogin{}, fmt.Errorf("take console login: %w", err)
	}
	l.CreatedAt = fromMicros(created)
	if !found || l.CreatedAt.Before(notBefore) {
		return PendingLogin{}, ErrNotFound
	}
	return l, nil
}

// PruneSessions removes expired sessions and stale logins.
func (s *sqlStore) PruneSessions(ctx context.Context, now, loginsBefore time.Time) error {
	if _, err := s.exec(ctx, `DELETE FROM console_sessions WHERE expires_at <= ?`, micros(now)); err != nil {
		return fmt.Errorf("prune console sessions: %w", err)
	}
	if _, err := s.exec(ctx, `DELETE FROM console_logins WHERE created_at < ?`, micros(loginsBefore)); err != nil {
		return fmt.Errorf("prune console logins: %w", err)
	}
	return nil
}
