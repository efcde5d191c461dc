package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

const recordCols = `r.seq, r.id, r.recorded_at, r.kind, r.delivery_id, r.installation, r.repository, r.pr,
	r.sha, r.subject, r.actor, r.outcome, r.policy_digest, r.policy_repo, r.policy_path, r.policy_ref,
	r.policy_blob_sha, r.facts_digest, r.decision_digest, r.prev_hash, r.hash`

// withDocs joins the documents; a NULL body for a named digest means a missing document.
const withDocs = recordCols + `, f.body, d.body FROM audit_records r
	LEFT JOIN audit_documents f ON f.digest = r.facts_digest
	LEFT JOIN audit_documents d ON d.digest = r.decision_digest`

// withoutDocs only asks whether the named documents exist.
const withoutDocs = recordCols + `,
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)),
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest))
	FROM audit_records r`

// streamRecords runs a record query and calls fn for each row, holding one row at a time.
func (s *sqlStore) streamRecords(ctx context.Context, docs bool, where string, args []any, suffix string, fn func(ChainRecord) error) error {
	cols := withoutDocs
	if docs {
		cols = withDocs
	}
	rows, err := s.query(ctx, `SELECT `+cols+where+suffix, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			c          ChainRecord
			at, kind   string
			fact, decn []byte
		)
		r := &c.Record
		dest := []any{&r.Seq, &r.ID, &at, &kind, &r.DeliveryID, &r.Installation, &r.Repository, &r.PR,
			&r.SHA, &r.Subject, &r.Actor, &r.Outcome, &r.PolicyDigest, &r.PolicySource.Repo, &r.PolicySource.Path,
			&r.PolicySource.Ref, &r.PolicySource.BlobSHA, &c.FactsDigest, &c.DecisionDigest, &r.PrevHash, &r.Hash}
		if docs {
			dest = append(dest, &fact, &decn)
		} else {
			dest = append(dest, &c.FactsMissing, &c.DecisionMissing)
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r.Kind = Kind(kind)
		// An unparsable time stays zero; verify then reports the record as changed.
		r.RecordedAt, _ = ParseTime(at)
		if docs {
			r.Facts, r.Decision = fact, decn
			c.FactsMissing = c.FactsDigest != "" && fact == nil
			c.DecisionMissing = c.DecisionDigest != "" && decn == nil
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// filterWhere turns a Filter into a WHERE clause. Since is inclusive, Until exclusive.
func filterWhere(f Filter) (string, []any) {
	var (
		conds []string
		args  []any
	)
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	if !f.Since.IsZero() {
		add("r.recorded_at >= ?", FormatTime(f.Since))
	}
	if !f.Until.IsZero() {
		add("r.recorded_at < ?", FormatTime(f.Until))
	}
	if f.Repo != "" {
		add("r.repository = ?", f.Repo)
	}
	if len(f.Kinds) > 0 {
		ph := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			ph[i] = "?"
			args = append(args, string(k))
		}
		conds = append(conds, "r.kind IN ("+strings.Join(ph, ", ")+")")
	}
	if f.PR != 0 {
		add("r.pr = ?", f.PR)
	}
	if f.SHA != "" {
		add("r.sha = ?", f.SHA)
	}
	if f.Subject != "" {
		add("r.subject = ?", f.Subject)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// Scan streams every record from fromSeq on, in sequence order, with its documents.
func (s *sqlStore) Scan(ctx context.Context, fromSeq int64, fn func(Record) error) error {
	return s.ScanChain(ctx, fromSeq, true, func(c ChainRecord) error { return fn(c.Record) })
}

// ScanChain streams records from fromSeq on, with or without their documents.
func (s *sqlStore) ScanChain(ctx context.Context, fromSeq int64, docs bool, fn func(ChainRecord) error) error {
	if err := s.streamRecords(ctx, docs, ` WHERE r.seq >= ?`, []any{fromSeq}, ` ORDER BY r.seq`, fn); err != nil {
		return fmt.Errorf("scan audit log from %d: %w", fromSeq, err)
	}
	return nil
}

// Query streams the records that match f, in sequence order.
func (s *sqlStore) Query(ctx context.Context, f Filter, fn func(Record) error) error {
	return s.QueryChain(ctx, f, func(c ChainRecord) error { return fn(c.Record) })
}

// QueryChain streams the records that match f, in sequence order, with their digests.
func (s *sqlStore) QueryChain(ctx context.Context, f Filter, fn func(ChainRecord) error) error {
	where, args := filterWhere(f)
	if err := s.streamRecords(ctx, true, where, args, ` ORDER BY r.seq`, fn); err != nil {
		return fmt.Errorf("query audit log %+v: %w", f, err)
	}
	return nil
}

// errStop ends a stream early without an error.
var errStop = errors.New("stop")

// Latest returns the last record that matches f, or ErrNotFound.
func (s *sqlStore) Latest(ctx context.Context, f Filter) (Record, error) {
	where, args := filterWhere(f)
	var (
		out   Record
		found bool
	)
	err := s.streamRecords(ctx, true, where, args, ` ORDER BY r.seq DESC LIMIT 1`, func(c ChainRecord) error {
		out, found = c.Record, true
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return Record{}, fmt.Errorf("latest audit record %+v: %w", f, err)
	}
	if !found {
		return Record{}, fmt.Errorf("latest audit record %+v: %w", f, ErrNotFound)
	}
	return out, nil
}

// ScanDocuments streams every stored document once.
func (s *sqlStore) ScanDocuments(ctx context.Context, fn func(digest string, body []byte) error) error {
	rows, err := s.query(ctx, `SELECT digest, body FROM audit_documents ORDER BY digest`)
	if err != nil {
		return fmt.Errorf("scan audit documents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			digest string
			body   []byte
		)
		if err := rows.Scan(&digest, &body); err != nil {
			return fmt.Errorf("scan audit documents: %w", err)
		}
		if err := fn(digest, body); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("scan audit documents: %w", err)
	}
	return nil
}

// Head returns the last record's sequence number and hash.
func (s *sqlStore) Head(ctx context.Context) (int64, string, error) {
	var (
		seq  int64
		hash string
	)
	err := s.queryRow(ctx, `SELECT seq, hash FROM audit_records ORDER BY seq DESC LIMIT 1`).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, GenesisHash, nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("audit chain head: %w", err)
	}
	return seq, hash, nil
}
