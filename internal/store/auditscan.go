package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

const recordCols = `r.seq, r.id, r.recorded_at, r.kind, r.delivery_id, r.installation, r.repository, r.pr,
	r.sha, r.subject, r.actor, r.outcome, r.policy_digest, r.policy_repo, r.policy_path, r.policy_ref,
	r.policy_blob_sha, r.facts_digest, r.decision_digest, r.prev_hash, r.hash`

// withDocs joins the documents; a NULL body for a named digest means a missing document.
const withDocs = recordCols + `, f.body, d.body FROM audit_records r
	LEFT JOIN audit_documents f ON f.digest = r.facts_digest
	LEFT JOIN audit_documents d ON d.digest = r.decision_digest`

// withoutDocs is the record alone; scanChainNoDocs checks that its documents exist.
const withoutDocs = recordCols + ` FROM audit_records r`

// withMissing only asks whether the named documents exist.
const withMissing = recordCols + `,
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)),
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest))
	FROM audit_records r`

// What streamRecords reads beside the record.
const (
	colsNone    = iota // nothing: FactsMissing and DecisionMissing are left false
	colsDocs           // the documents, and so whether they are missing
	colsMissing        // only whether the documents are missing
)

// streamRecords runs a record query and calls fn for each row, holding one row at a time.
// With docs, each record carries its documents and whether they are missing; without,
// neither (scanChainNoDocs adds the latter).
func (s *sqlStore) streamRecords(ctx context.Context, mode int, where string, args []any, suffix string, fn func(*ChainRecord) error) error {
	cols, docs := withoutDocs, mode == colsDocs
	switch mode {
	case colsDocs:
		cols = withDocs
	case colsMissing:
		cols = withMissing
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
	} else if mode == colsMissing {
		dest = append(dest, &c.FactsMissing, &c.DecisionMissing)
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
		KindDeploymentEvent, KindPolicyError, KindInstallation, KindRefused, KindReviewNote} {
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

// digestSet holds the digest of every stored document: the 32 bytes of a well-formed
// (lower-case hex) digest, or, for a key that is not one (only a tampered table holds
// such), the text itself. It costs about 40 bytes a document.
type digestSet struct {
	bin   map[[32]byte]struct{}
	other map[string]struct{}
}

// decodeDigest decodes a lower-case hex SHA-256; upper case does not decode, because
// digests are compared as text.
func decodeDigest(b []byte) ([32]byte, bool) {
	var d [32]byte
	if len(b) != 64 {
		return d, false
	}
	for i := 0; i < 64; i += 2 {
		hi, ok1 := unhex(b[i])
		lo, ok2 := unhex(b[i+1])
		if !ok1 || !ok2 {
			return d, false
		}
		d[i/2] = hi<<4 | lo
	}
	return d, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (ds *digestSet) has(digest string) bool {
	if d, ok := decodeDigest([]byte(digest)); ok {
		_, found := ds.bin[d]
		return found
	}
	_, found := ds.other[digest]
	return found
}

// documentDigests reads the key of every document (an index-only scan, no bodies).
func (s *sqlStore) documentDigests(ctx context.Context) (*digestSet, error) {
	ds := &digestSet{bin: map[[32]byte]struct{}{}, other: map[string]struct{}{}}
	rows, err := s.query(ctx, `SELECT digest FROM audit_documents`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var b sql.RawBytes
	for rows.Next() {
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		if d, ok := decodeDigest(b); ok {
			ds.bin[d] = struct{}{}
		} else {
			ds.other[string(b)] = struct{}{}
		}
	}
	return ds, rows.Err()
}

// scanChunk is how many sequence numbers one range query of scanChainNoDocs covers, and
// scanWorkers how many such queries run at once.
const (
	scanChunk   = 4096
	scanWorkers = 2
)

type recordChunk struct {
	recs []ChainRecord
	err  error
}

// scanChainNoDocs streams records without documents in sequence order. The sequence
// range is cut into chunks that scanWorkers connections read at once, each an ordered
// range scan on the primary key; the chunks are handed to fn in order, so fn sees
// exactly what one ordered scan would show, and at most about 2*scanWorkers chunks are
// held at a time. Whether the documents a record names exist is answered from the set
// of document digests, read first, instead of two index lookups per record in the
// database.
func (s *sqlStore) scanChainNoDocs(ctx context.Context, fromSeq int64, fn func(ChainRecord) error) error {
	// The head first, then the digests: the documents of a record are committed with it,
	// so every record up to head has its documents in the set. Records appended since
	// (the last chunk) are asked about in the database.
	head, _, err := s.Head(ctx)
	if err != nil {
		return err
	}
	ds, err := s.documentDigests(ctx)
	if err != nil {
		return fmt.Errorf("document digests: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Chunk k covers [fromSeq+k*scanChunk, fromSeq+(k+1)*scanChunk); the first chunk
	// that starts after head is open-ended (records appended since) and the last.
	last := int64(0)
	if head >= fromSeq {
		last = (head-fromSeq)/scanChunk + 1
	}
	outs := make([]chan recordChunk, scanWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait
	for w := range scanWorkers {
		outs[w] = make(chan recordChunk, 1)
		wg.Go(func() {
			defer close(outs[w])
			for k := int64(w); k <= last; k += scanWorkers {
				lo := fromSeq + k*scanChunk
				mode, where, args := colsNone, ` WHERE r.seq >= ? AND r.seq < ?`, []any{lo, lo + scanChunk}
				if k == last {
					mode, where, args = colsMissing, ` WHERE r.seq >= ?`, []any{lo}
				}
				var ch recordChunk
				if k != last {
					ch.recs = make([]ChainRecord, 0, scanChunk)
				}
				ch.err = s.streamRecords(ctx, mode, where, args, ` ORDER BY r.seq`, func(c *ChainRecord) error {
					if mode == colsNone {
						c.FactsMissing = c.FactsDigest != "" && !ds.has(c.FactsDigest)
						c.DecisionMissing = c.DecisionDigest != "" && !ds.has(c.DecisionDigest)
					}
					ch.recs = append(ch.recs, *c)
					return nil
				})
				select {
				case outs[w] <- ch:
				case <-ctx.Done():
					return
				}
				if ch.err != nil {
					return
				}
			}
		})
	}
	for k := int64(0); k <= last; k++ {
		ch, ok := <-outs[k%scanWorkers]
		if !ok {
			return context.Cause(ctx)
		}
		if ch.err != nil {
			return ch.err
		}
		for i := range ch.recs {
			if err := fn(ch.recs[i]); err != nil {
				return err
			}
		}
	}
	return nil
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
	if f.Actor != "" {
		add("r.actor = ?", f.Actor)
	}
	if f.Outcome != "" {
		add("r.outcome = ?", f.Outcome)
	}
	if f.Scope != nil {
		cond, a := f.Scope.where("r.repository")
		add(cond, a...)
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
		err = s.streamRecords(ctx, colsDocs, ` WHERE r.seq >= ?`, []any{fromSeq}, ` ORDER BY r.seq`, func(c *ChainRecord) error { return fn(*c) })
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
	if err := s.streamRecords(ctx, colsDocs, where, args, ` ORDER BY r.seq`, func(c *ChainRecord) error { return fn(*c) }); err != nil {
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
	err := s.streamRecords(ctx, colsDocs, where, args, ` ORDER BY r.seq DESC LIMIT 1`, func(c *ChainRecord) error {
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
	if s.d.name() == "postgres" {
		if err := s.scanDocumentsPG(ctx, fn); err != nil {
			return fmt.Errorf("scan audit documents: %w", err)
		}
		return nil
	}
	rows, err := s.query(ctx, `SELECT digest, body FROM audit_documents`)
	if err != nil {
		return fmt.Errorf("scan audit documents: %w", err)
	}
	defer rows.Close()
	var (
		digest string
		body   sql.RawBytes // valid until the next row: fn does not keep it
	)
	for rows.Next() {
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
