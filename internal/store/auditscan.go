package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

const recordCols = `r.seq, r.id, r.recorded_at, r.kind, r.delivery_id, r.installation, r.repository, r.pr,
	r.sha, r.subject, r.actor, r.outcome, r.policy_digest, r.policy_repo, r.policy_path, r.policy_ref,
	r.policy_blob_sha, r.facts_digest, r.decision_digest, r.prev_hash, r.hash`

// withDocs joins the documents; a NULL body for a named digest means a missing document.
const withDocs = recordCols + `, f.body, d.body FROM audit_records r
	LEFT JOIN audit_documents f ON f.digest = r.facts_digest
	LEFT JOIN audit_documents d ON d.digest = r.decision_digest`

// withoutDocs is the record alone; the documents' existence is checked separately (see
// scanChainNoDocs).
const withoutDocs = recordCols + ` FROM audit_records r`

// missingDocs lists the records from ? to ? (exclusive) that name a document the
// documents table does not hold; verify expects none, so it is cheap to stream.
const missingDocs = `SELECT r.seq,
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)),
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest))
	FROM audit_records r WHERE r.seq >= ? AND r.seq < ? AND (
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)) OR
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest)))
	ORDER BY r.seq`

// streamRecords runs a record query and calls fn for each row, holding one row at a time.
// With docs, each record carries its documents and whether they are missing; without,
// neither (scanChainNoDocs adds the latter).
func (s *sqlStore) streamRecords(ctx context.Context, docs bool, where string, args []any, suffix string, fn func(*ChainRecord) error) error {
	cols := withoutDocs
	if docs {
		cols = withDocs
	}
	rows, err := s.query(ctx, `SELECT `+cols+where+suffix, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		c          ChainRecord
		at, kind   []byte // sql.RawBytes: valid until the next row, copied where kept
		fact, decn []byte
	)
	r := &c.Record
	dest := []any{&r.Seq, &r.ID, (*sql.RawBytes)(&at), (*sql.RawBytes)(&kind), &r.DeliveryID, &r.Installation, &r.Repository, &r.PR,
		&r.SHA, &r.Subject, &r.Actor, &r.Outcome, &r.PolicyDigest, &r.PolicySource.Repo, &r.PolicySource.Path,
		&r.PolicySource.Ref, &r.PolicySource.BlobSHA, &c.FactsDigest, &c.DecisionDigest, &r.PrevHash, &r.Hash}
	if docs {
		dest = append(dest, &fact, &decn)
	}
	for rows.Next() {
		fact, decn = nil, nil
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r.Kind = internKind(kind)
		// An unparsable time stays zero; verify then reports the record as changed.
		r.RecordedAt, _ = parseTimeBytes(at)
		if docs {
			r.Facts, r.Decision = fact, decn
			c.FactsMissing = c.FactsDigest != "" && fact == nil
			c.DecisionMissing = c.DecisionDigest != "" && decn == nil
		}
		if err := fn(&c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// kinds are the known kinds, so scanning a record allocates no string for its kind.
var kinds = func() map[string]Kind {
	m := map[string]Kind{}
	for _, k := range []Kind{KindPRDecision, KindPush, KindMerge, KindViolation, KindDeploymentDecision,
		KindDeploymentEvent, KindPolicyError, KindInstallation, KindRefused} {
		m[string(k)] = k
	}
	return m
}()

func internKind(b []byte) Kind {
	if k, ok := kinds[string(b)]; ok {
		return k
	}
	return Kind(b)
}

// parseTimeBytes is ParseTime for the fixed-width form FormatTime writes, without
// allocating; anything else goes through time.Parse.
func parseTimeBytes(b []byte) (time.Time, error) {
	// 2006-01-02T15:04:05.000000Z
	if len(b) == len(TimeFormat) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' &&
		b[16] == ':' && b[19] == '.' && b[26] == 'Z' {
		num := func(i, j int) (int, bool) {
			n := 0
			for _, c := range b[i:j] {
				if c < '0' || c > '9' {
					return 0, false
				}
				n = n*10 + int(c-'0')
			}
			return n, true
		}
		y, ok1 := num(0, 4)
		mo, ok2 := num(5, 7)
		d, ok3 := num(8, 10)
		h, ok4 := num(11, 13)
		mi, ok5 := num(14, 16)
		sec, ok6 := num(17, 19)
		us, ok7 := num(20, 26)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && h < 24 && mi < 60 && sec < 60 {
			t := time.Date(y, time.Month(mo), d, h, mi, sec, us*1000, time.UTC)
			if t.Day() == d { // not normalised from an impossible date like 02-30
				return t, nil
			}
		}
	}
	return ParseTime(string(b))
}

// missChunk is how many sequence numbers one missing-documents query covers.
const missChunk = 20_000

type missing struct {
	seq                       int64
	factsMissing, decnMissing bool
}

// scanChainNoDocs streams records without documents in one ordered scan, and beside it,
// on another connection, looks for records that name a missing document, chunk by chunk
// ahead of the scan; the two meet by sequence number.
func (s *sqlStore) scanChainNoDocs(ctx context.Context, fromSeq int64, fn func(ChainRecord) error) error {
	head, _, err := s.Head(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type chunk struct {
		until int64 // exclusive; 0: no end
		miss  []missing
		err   error
	}
	chunks := make(chan chunk, 4)
	go func() {
		defer close(chunks)
		for from := fromSeq; ; from += missChunk {
			c := chunk{until: from + missChunk}
			if from > head {
				c.until = 0 // records appended since the scan began
			}
			until := c.until
			if until == 0 {
				until = math.MaxInt64
			}
			c.miss, c.err = s.missingDocs(ctx, from, until)
			select {
			case chunks <- c:
			case <-ctx.Done():
				return
			}
			if c.err != nil || c.until == 0 {
				return
			}
		}
	}()
	var (
		cur  chunk
		have bool
	)
	return s.streamRecords(ctx, false, ` WHERE r.seq >= ?`, []any{fromSeq}, ` ORDER BY r.seq`, func(c *ChainRecord) error {
		for !have || (cur.until != 0 && c.Seq >= cur.until) {
			next, ok := <-chunks
			if !ok {
				return fmt.Errorf("missing documents: %w", context.Cause(ctx))
			}
			if next.err != nil {
				return fmt.Errorf("missing documents: %w", next.err)
			}
			cur, have = next, true
		}
		for len(cur.miss) > 0 && cur.miss[0].seq < c.Seq {
			cur.miss = cur.miss[1:]
		}
		c.FactsMissing, c.DecisionMissing = false, false
		if len(cur.miss) > 0 && cur.miss[0].seq == c.Seq {
			c.FactsMissing, c.DecisionMissing = cur.miss[0].factsMissing, cur.miss[0].decnMissing
		}
		return fn(*c)
	})
}

func (s *sqlStore) missingDocs(ctx context.Context, from, until int64) ([]missing, error) {
	rows, err := s.query(ctx, missingDocs, from, until)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []missing
	for rows.Next() {
		var m missing
		if err := rows.Scan(&m.seq, &m.factsMissing, &m.decnMissing); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
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
	var err error
	if docs {
		err = s.streamRecords(ctx, true, ` WHERE r.seq >= ?`, []any{fromSeq}, ` ORDER BY r.seq`, func(c *ChainRecord) error { return fn(*c) })
	} else {
		err = s.scanChainNoDocs(ctx, fromSeq, fn)
	}
	if err != nil {
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
	if err := s.streamRecords(ctx, true, where, args, ` ORDER BY r.seq`, func(c *ChainRecord) error { return fn(*c) }); err != nil {
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
	err := s.streamRecords(ctx, true, where, args, ` ORDER BY r.seq DESC LIMIT 1`, func(c *ChainRecord) error {
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
	// In storage order: verify needs every document once, in no particular order, and
	// an ordered scan would read the table at random through the index.
	rows, err := s.query(ctx, `SELECT digest, body FROM audit_documents`)
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
