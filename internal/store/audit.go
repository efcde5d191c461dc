package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Append validates r, then queues it for the group commit; it returns once the
// transaction holding r is committed. Facts and Decision are stored compacted, once per
// digest.
func (s *sqlStore) Append(ctx context.Context, r Record) (Record, error) {
	if r.Kind == "" {
		return Record{}, fmt.Errorf("append audit record: empty kind")
	}
	if r.FactKey == "" {
		r.FactKey = DefaultFactKey(r)
	}
	if err := factKeyOK(r.FactKey); err != nil {
		return Record{}, fmt.Errorf("append %s record for %s: %w", r.Kind, r.Repository, err)
	}
	var err error
	if r.Facts, err = compactDoc(r.Facts); err != nil {
		return Record{}, fmt.Errorf("append %s record for %s: facts: %w", r.Kind, r.Repository, err)
	}
	if r.Decision, err = compactDoc(r.Decision); err != nil {
		return Record{}, fmt.Errorf("append %s record for %s: decision: %w", r.Kind, r.Repository, err)
	}
	req := &appendReq{rec: r, factsDigest: DocumentDigest(r.Facts), decisionDigest: DocumentDigest(r.Decision), done: make(chan error, 1)}
	if err := s.app.submit(ctx, req); err != nil {
		return Record{}, fmt.Errorf("append %s record for %s: %w", r.Kind, r.Repository, err)
	}
	for req.dupOf != nil {
		req = req.dupOf
	}
	if req.existing != 0 {
		// The fact was recorded before: its record, not a second one.
		rec, err := s.recordBySeq(ctx, req.existing)
		if err != nil {
			return Record{}, fmt.Errorf("append %s record for %s: the record of fact %q: %w", r.Kind, r.Repository, r.FactKey, err)
		}
		rec.FactKey = r.FactKey
		return rec, nil
	}
	return req.rec, nil
}

// recordBySeq reads one record with its documents.
func (s *sqlStore) recordBySeq(ctx context.Context, seq int64) (Record, error) {
	var (
		out   Record
		found bool
	)
	err := s.streamRecords(ctx, colsDocs, ` WHERE r.seq = ?`, []any{seq}, ``, func(c *ChainRecord) error {
		out, found = c.Record, true
		return nil
	})
	if err != nil {
		return Record{}, err
	}
	if !found {
		return Record{}, fmt.Errorf("record %d: %w", seq, ErrNotFound)
	}
	return out, nil
}

// findFactKeys marks the requests of batch whose fact key is already recorded, or taken
// by an earlier request of the batch. It runs under the chain lock, so no other appender
// can record the same key between this look-up and the insert.
func (s *sqlStore) findFactKeys(ctx context.Context, tx querier, batch []*appendReq) error {
	byKey := map[string]*appendReq{}
	var keys []any
	for _, q := range batch {
		q.existing, q.dupOf = 0, nil // a retried transaction starts over
		k := q.rec.FactKey
		if k == "" {
			continue
		}
		if first, ok := byKey[k]; ok {
			q.dupOf = first
			continue
		}
		byKey[k] = q
		keys = append(keys, k)
	}
	const chunk = 400
	for len(keys) > 0 {
		n := min(chunk, len(keys))
		q := `SELECT fact_key, seq FROM audit_records WHERE fact_key IN (` + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + `)`
		rows, err := tx.QueryContext(ctx, s.d.rebind(q), keys[:n]...)
		if err != nil {
			return fmt.Errorf("look up fact keys: %w", err)
		}
		for rows.Next() {
			var (
				k   string
				seq int64
			)
			if err := rows.Scan(&k, &seq); err != nil {
				rows.Close()
				return fmt.Errorf("look up fact keys: %w", err)
			}
			byKey[k].existing = seq
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("look up fact keys: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("look up fact keys: %w", err)
		}
		keys = keys[n:]
	}
	return nil
}

// compactDoc checks a document is valid UTF-8 JSON and removes insignificant space, so
// the same content re-encoded with other indentation is stored once.
func compactDoc(doc json.RawMessage) (json.RawMessage, error) {
	if len(doc) == 0 {
		return nil, nil
	}
	if !utf8.Valid(doc) {
		return nil, errors.New("not valid UTF-8")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// commitBatch appends a batch in one transaction: lock the chain, read its head, chain
// the records after it, store the documents they name and the records, commit. On SQLite
// the batch is one operation of the writer's next group commit.
//
// A transient failure is retried (see retry): the transaction rolled back whole, or, when
// only the answer to COMMIT was lost, the records it committed are found again by their
// fact keys and not appended twice.
func (s *sqlStore) commitBatch(batch []*appendReq) error {
	ctx := context.Background() // a caller giving up must not abort the others' commit
	return s.retry(ctx, func() error { return s.commitOnce(ctx, batch) })
}

func (s *sqlStore) commitOnce(ctx context.Context, batch []*appendReq) error {
	if s.w != nil {
		return s.w.do(ctx, durable, func(ctx context.Context, tx querier) error { return s.appendBatch(ctx, tx, batch) })
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := s.appendBatch(ctx, tx, batch); err != nil {
		return err
	}
	return tx.Commit()
}

// appendBatch chains batch after the head and stores it, inside the caller's transaction.
func (s *sqlStore) appendBatch(ctx context.Context, tx querier, batch []*appendReq) error {
	if q := s.d.lockChain(); q != "" {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("lock chain: %w", err)
		}
	}
	seq, prev, lastAt := int64(0), GenesisHash, ""
	err := tx.QueryRowContext(ctx, `SELECT seq, hash, recorded_at FROM audit_records ORDER BY seq DESC LIMIT 1`).Scan(&seq, &prev, &lastAt)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read chain head: %w", err)
	}
	priv, pub := s.signingKey()
	if priv != nil {
		if err := s.checkHeadSigned(ctx, tx, pub, seq, prev); err != nil {
			return err
		}
	}
	// recorded_at never goes backwards along the chain, even if clocks of replicas differ.
	at := s.now().Truncate(time.Microsecond)
	if last, err := ParseTime(lastAt); err == nil && at.Before(last) {
		at = last
	}
	if err := s.findFactKeys(ctx, tx, batch); err != nil {
		return err
	}
	docs := map[string][]byte{}
	fresh := make([]*appendReq, 0, len(batch))
	for _, q := range batch {
		if q.existing != 0 || q.dupOf != nil {
			continue
		}
		fresh = append(fresh, q)
		seq++
		r := &q.rec
		r.Seq, r.RecordedAt, r.PrevHash = seq, at, prev
		id, err := uuid.NewV7()
		if err != nil {
			return fmt.Errorf("record id: %w", err)
		}
		r.ID = id.String()
		r.Hash = ComputeHash(*r, q.factsDigest, q.decisionDigest)
		prev = r.Hash
		if q.factsDigest != "" {
			docs[q.factsDigest] = r.Facts
		}
		if q.decisionDigest != "" {
			docs[q.decisionDigest] = r.Decision
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	if err := s.insertDocs(ctx, tx, docs); err != nil {
		return err
	}
	if err := s.insertRecords(ctx, tx, fresh); err != nil {
		return err
	}
	if priv != nil {
		// One signature per commit, over its last record: through the chain it covers
		// every record of the commit and before.
		return s.insertSignature(ctx, tx, priv, pub, seq, prev)
	}
	return nil
}

// insertRows runs one multi-row INSERT per chunk of rows.
func (s *sqlStore) insertRows(ctx context.Context, tx querier, head, tail string, ncol int, rows [][]any) error {
	const chunk = 400
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var q strings.Builder
		q.WriteString(head)
		args := make([]any, 0, n*ncol)
		for i, r := range rows[:n] {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(row)
			args = append(args, r...)
		}
		q.WriteString(tail)
		if _, err := tx.ExecContext(ctx, s.d.rebind(q.String()), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (s *sqlStore) insertDocs(ctx context.Context, tx querier, docs map[string][]byte) error {
	rows := make([][]any, 0, len(docs))
	for digest, body := range docs {
		rows = append(rows, []any{digest, body})
	}
	head, tail := s.d.insertDocs()
	if err := s.insertRows(ctx, tx, head, tail, 2, rows); err != nil {
		return fmt.Errorf("store audit documents: %w", err)
	}
	return nil
}

func (s *sqlStore) insertRecords(ctx context.Context, tx querier, batch []*appendReq) error {
	rows := make([][]any, 0, len(batch))
	for _, q := range batch {
		r := q.rec
		rows = append(rows, []any{r.Seq, r.ID, FormatTime(r.RecordedAt), string(r.Kind), r.DeliveryID, r.Installation,
			r.Repository, r.PR, r.SHA, r.Subject, r.Actor, r.Outcome, r.PolicyDigest, r.PolicySource.Repo,
			r.PolicySource.Path, r.PolicySource.Ref, r.PolicySource.BlobSHA, q.factsDigest, q.decisionDigest,
			r.PrevHash, r.Hash, r.FactKey})
	}
	err := s.insertRows(ctx, tx, `INSERT INTO audit_records (seq, id, recorded_at, kind, delivery_id, installation,
		repository, pr, sha, subject, actor, outcome, policy_digest, policy_repo, policy_path, policy_ref,
		policy_blob_sha, facts_digest, decision_digest, prev_hash, hash, fact_key) VALUES `, ``, 22, rows)
	if err != nil {
		return fmt.Errorf("store audit records %d..%d: %w", batch[0].rec.Seq, batch[len(batch)-1].rec.Seq, err)
	}
	return nil
}
