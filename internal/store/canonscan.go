package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"github.com/jackc/pgx/v5/stdlib"
	"strconv"
	"strings"
	"sync"
)

// CanonicalRow is one record as ScanCanonical shows it. The slices are valid only
// during the callback.
type CanonicalRow struct {
	Seq int64
	// Canonical is the canonical encoding (see Canonical) as the database renders it from
	// the stored fields, nil when a field is NULL. It equals Canonical of the record
	// whenever the stored hash matches it (up to a SHA-256 collision), because then it
	// is the string the hash was computed over; otherwise it may differ from what Go
	// would build, so a mismatch proves nothing but that the careful path must look.
	Canonical []byte
	Hash      []byte
	// FactsDigest, DecisionDigest and PrevHash are read from Canonical (nil when it does
	// not parse).
	FactsDigest, DecisionDigest, PrevHash []byte
	// DocsChecked is set for the records the database was asked about, those appended
	// after the scan began (verify knows the documents of the others already); Missing
	// is then set when a document the record names is not stored.
	DocsChecked, Missing bool
	// Malformed is set when Canonical is NULL or does not parse.
	Malformed bool
}

// CanonicalScanner is a fast path for audit verify, implemented by both backends: on
// SQLite the database builds the encoding (one column a record instead of twenty-one,
// no conversions), on PostgreSQL it is built from the text pgx received, unconverted.
type CanonicalScanner interface {
	// ScanCanonical streams every record from fromSeq on, in sequence order.
	ScanCanonical(ctx context.Context, fromSeq int64, fn func(*CanonicalRow) error) error
}

var _ CanonicalScanner = (*sqlStore)(nil)

// canonicalFieldNames are the hashed fields in canonical order, with the SQL expression
// of each as text; numbers are integer columns.
var canonicalFieldNames = []struct {
	name, col string
	number    bool
}{
	{"seq", "r.seq", true}, {"id", "r.id", false}, {"recorded_at", "r.recorded_at", false}, {"kind", "r.kind", false},
	{"delivery_id", "r.delivery_id", false}, {"installation", "r.installation", true}, {"repository", "r.repository", false},
	{"pr", "r.pr", true}, {"sha", "r.sha", false}, {"subject", "r.subject", false}, {"actor", "r.actor", false}, {"outcome", "r.outcome", false},
	{"policy_digest", "r.policy_digest", false}, {"policy_repo", "r.policy_repo", false}, {"policy_path", "r.policy_path", false},
	{"policy_ref", "r.policy_ref", false}, {"policy_blob_sha", "r.policy_blob_sha", false}, {"facts_sha256", "r.facts_digest", false},
	{"decision_sha256", "r.decision_digest", false}, {"prev_hash", "r.prev_hash", false},
}

// canonicalSQL is the SQL expression of the canonical encoding for the dialect: every
// field as "name=<byte length>:<text>\n", built by one concat call (repeated || copies
// the growing string once per piece). A NULL field renders without its length, which
// no hash matches. Whatever it renders, verify trusts it only when its SHA-256 is the
// stored hash.
func canonicalSQL(dialect string) string {
	nl := "char(10)"
	if dialect == "postgres" {
		nl = "chr(10)"
	}
	args := []string{"'foureyes-audit-v1' || " + nl + " || 'seq='"}
	for i, f := range canonicalFieldNames {
		text, blen := f.col, "octet_length("+f.col+")"
		if dialect == "postgres" && f.number {
			blen = "octet_length(CAST(" + f.col + " AS TEXT))"
		}
		next := nl
		if i+1 < len(canonicalFieldNames) {
			next = nl + " || '" + canonicalFieldNames[i+1].name + "='"
		}
		args = append(args, blen, "':'", text, next)
	}
	return "concat(" + strings.Join(args, ", ") + ")"
}

// parseCanonical returns the document digests and prev_hash of a canonical encoding.
var canonicalHeaderBytes = []byte(canonicalHeader)

func parseCanonical(c []byte) (facts, decision, prev []byte, ok bool) {
	if !bytes.HasPrefix(c, canonicalHeaderBytes) {
		return nil, nil, nil, false
	}
	c = c[len(canonicalHeader):]
	for i := range canonicalFieldNames {
		eq := bytes.IndexByte(c, '=')
		if eq < 0 {
			return nil, nil, nil, false
		}
		c = c[eq+1:]
		n, j := 0, 0
		for ; j < len(c) && j < 10 && c[j] >= '0' && c[j] <= '9'; j++ {
			n = n*10 + int(c[j]-'0')
		}
		if j == 0 || j >= len(c) || c[j] != ':' || len(c) < j+1+n+1 || c[j+1+n] != '\n' {
			return nil, nil, nil, false
		}
		v := c[j+1 : j+1+n]
		c = c[j+1+n+1:]
		switch i {
		case 17:
			facts = v
		case 18:
			decision = v
		case 19:
			prev = v
		}
	}
	return facts, decision, prev, len(c) == 0
}

type canonChunk struct {
	buf  []byte
	rows []canonRowAt
	err  error
}

// canonRowAt locates a row in canonChunk.buf: Canonical is buf[off:mid], Hash
// buf[mid:end]; null marks a NULL Canonical.
type canonRowAt struct {
	seq                    int64
	off, mid, end          int
	null, missing, checked bool
}

// ScanCanonical reads the sequence range in chunks on scanWorkers connections at once,
// like scanChainNoDocs. Whether documents exist is asked of the database only for the
// records appended after the head it reads first.
func (s *sqlStore) ScanCanonical(ctx context.Context, fromSeq int64, fn func(*CanonicalRow) error) error {
	if err := s.scanCanonical(ctx, fromSeq, fn); err != nil {
		return fmt.Errorf("scan audit log from %d: %w", fromSeq, err)
	}
	return nil
}

func (s *sqlStore) scanCanonical(ctx context.Context, fromSeq int64, fn func(*CanonicalRow) error) error {
	head, _, err := s.Head(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	last := int64(0)
	if head >= fromSeq {
		last = (head-fromSeq)/scanChunk + 1
	}
	canon := canonicalSQL(s.d.name())
	free := make(chan *canonChunk, 2*scanWorkers+2)
	outs := make([]chan *canonChunk, scanWorkers)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel() // runs before wg.Wait
	for w := range scanWorkers {
		outs[w] = make(chan *canonChunk, 1)
		wg.Go(func() {
			defer close(outs[w])
			for k := int64(w); k <= last; k += scanWorkers {
				lo := fromSeq + k*scanChunk
				var ch *canonChunk
				select {
				case ch = <-free:
					ch.buf, ch.rows, ch.err = ch.buf[:0], ch.rows[:0], nil
				default:
					ch = &canonChunk{buf: make([]byte, 0, scanChunk*768), rows: make([]canonRowAt, 0, scanChunk)}
				}
				ch.err = s.readCanonical(ctx, ch, canon, lo, k == last)
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
	var row CanonicalRow
	for k := int64(0); k <= last; k++ {
		ch, ok := <-outs[k%scanWorkers]
		if !ok {
			return context.Cause(ctx)
		}
		if ch.err != nil {
			return ch.err
		}
		for _, at := range ch.rows {
			row = CanonicalRow{Seq: at.seq, Hash: ch.buf[at.mid:at.end], Missing: at.missing, DocsChecked: at.checked}
			if !at.null {
				row.Canonical = ch.buf[at.off:at.mid]
				var ok bool
				row.FactsDigest, row.DecisionDigest, row.PrevHash, ok = parseCanonical(row.Canonical)
				if !ok {
					row.FactsDigest, row.DecisionDigest, row.PrevHash, row.Malformed = nil, nil, nil, true
				}
			} else {
				row.Malformed = true
			}
			if err := fn(&row); err != nil {
				return err
			}
		}
		select {
		case free <- ch:
		default:
		}
	}
	return nil
}

// readCanonical reads one chunk; an open one also asks the database whether documents
// are missing.
func (s *sqlStore) readCanonical(ctx context.Context, ch *canonChunk, canon string, lo int64, open bool) error {
	q := `SELECT r.seq, ` + canon + `, r.hash`
	where, args := ` FROM audit_records r WHERE r.seq >= ? AND r.seq < ? ORDER BY r.seq`, []any{lo, lo + scanChunk}
	if open {
		q = `SELECT r.seq, ` + canon + `, r.hash,
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)),
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest))`
		where, args = ` FROM audit_records r WHERE r.seq >= ? ORDER BY r.seq`, []any{lo}
	}
	if s.d.name() == "postgres" {
		return s.readCanonicalPG(ctx, ch, lo, open)
	}
	rows, err := s.query(ctx, q+where, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		seq                int64
		c, h               sql.RawBytes
		fMissing, dMissing bool
	)
	dest := []any{&seq, &c, &h}
	if open {
		dest = []any{&seq, &c, &h, &fMissing, &dMissing}
	}
	for rows.Next() {
		c = nil
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		at := canonRowAt{seq: seq, off: len(ch.buf), null: c == nil}
		ch.buf = append(ch.buf, c...)
		at.mid = len(ch.buf)
		ch.buf = append(ch.buf, h...)
		at.end = len(ch.buf)
		at.missing, at.checked = fMissing || dMissing, open
		ch.rows = append(ch.rows, at)
	}
	return rows.Err()
}

// readCanonicalPG reads one chunk on PostgreSQL: the server sends the fields as text
// (the cheapest it renders: building the encoding there costs it more than the whole
// scan) and they are read from pgx's buffer, unconverted, into the encoding here.
func (s *sqlStore) readCanonicalPG(ctx context.Context, ch *canonChunk, lo int64, open bool) error {
	var cols strings.Builder
	cols.WriteString("SELECT ")
	for _, f := range canonicalFieldNames {
		cols.WriteString(f.col + ", ")
	}
	cols.WriteString("r.hash")
	q := cols.String() + ` FROM audit_records r WHERE r.seq >= $1 AND r.seq < $2 ORDER BY r.seq`
	params := [][]byte{strconv.AppendInt(nil, lo, 10), strconv.AppendInt(nil, lo+scanChunk, 10)}
	if open {
		q = cols.String() + `,
	(r.facts_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = r.facts_digest)),
	(r.decision_digest <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents y WHERE y.digest = r.decision_digest))
	FROM audit_records r WHERE r.seq >= $1 ORDER BY r.seq`
		params = params[:1]
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres connection is a %T", dc)
		}
		rr := c.Conn().PgConn().ExecParams(ctx, q, params, nil, nil, nil)
		n := len(canonicalFieldNames)
		for rr.NextRow() {
			v := rr.Values()
			if len(v) < n+1 {
				rr.Close()
				return fmt.Errorf("audit record has %d columns", len(v))
			}
			seq, err := strconv.ParseInt(string(v[0]), 10, 64)
			if err != nil {
				rr.Close()
				return fmt.Errorf("audit record seq %q: %w", v[0], err)
			}
			at := canonRowAt{seq: seq, off: len(ch.buf)}
			ch.buf = append(ch.buf, canonicalHeader...)
			for i, f := range canonicalFieldNames {
				if v[i] == nil {
					at.null = true
				}
				ch.buf = append(ch.buf, f.name...)
				ch.buf = append(ch.buf, '=')
				ch.buf = strconv.AppendInt(ch.buf, int64(len(v[i])), 10)
				ch.buf = append(ch.buf, ':')
				ch.buf = append(ch.buf, v[i]...)
				ch.buf = append(ch.buf, '\n')
			}
			at.mid = len(ch.buf)
			ch.buf = append(ch.buf, v[n]...)
			at.end = len(ch.buf)
			if open {
				at.checked = true
				at.missing = len(v) < n+3 || string(v[n+1]) != "f" || string(v[n+2]) != "f"
			}
			ch.rows = append(ch.rows, at)
		}
		_, err := rr.Close()
		return err
	})
}

// scanDocumentsPG is ScanDocuments on PostgreSQL, reading pgx's buffer directly (the
// body in binary, so as stored).
func (s *sqlStore) scanDocumentsPG(ctx context.Context, fn func(digest string, body []byte) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres connection is a %T", dc)
		}
		rr := c.Conn().PgConn().ExecParams(ctx, `SELECT digest, body FROM audit_documents`, nil, nil, nil, []int16{0, 1})
		for rr.NextRow() {
			v := rr.Values()
			if len(v) != 2 || v[0] == nil {
				rr.Close()
				return fmt.Errorf("audit document row has %d columns or a NULL digest", len(v))
			}
			if err := fn(string(v[0]), v[1]); err != nil {
				rr.Close()
				return err
			}
		}
		_, err := rr.Close()
		return err
	})
}
