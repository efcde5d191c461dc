package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// ExportQuery selects what an export contains; it is repeated in the manifest.
type ExportQuery struct {
	Format string       `json:"format"` // csv or jsonl
	Since  time.Time    `json:"since,omitzero"`
	Until  time.Time    `json:"until,omitzero"`
	Repo   string       `json:"repo,omitempty"`
	Kinds  []store.Kind `json:"kinds,omitempty"`
	// Actor and Outcome filter like the console's changes page.
	Actor   string `json:"actor,omitempty"`
	Outcome string `json:"outcome,omitempty"`
	// Scope, when set, is what the console session that downloaded may see: the export
	// holds nothing outside it, and the manifest says so.
	Scope *store.Scope `json:"scope,omitempty"`
}

// Manifest is the evidence about an export an auditor files with it: which query ran
// against which store when, how many rows it returned and the SHA-256 of exactly the
// bytes before the trailer (the header and the rows), plus the chain head at extraction,
// which `audit verify --head` later proves is still in the log.
type Manifest struct {
	Query       ExportQuery `json:"query"`
	Store       string      `json:"store"`
	ExtractedAt time.Time   `json:"extracted_at"`
	RowCount    int64       `json:"row_count"`
	SHA256      string      `json:"sha256"`
	HeadSeq     int64       `json:"chain_head_seq"`
	HeadHash    string      `json:"chain_head_hash"`
	// PublicKey is the key the chain's signatures verify under (PEM), so the manifest
	// carries what `audit verify --pubkey` needs; KeySource says where it came from
	// (PublishKey).
	PublicKey      string `json:"public_key,omitempty"`
	KeyFingerprint string `json:"public_key_fingerprint,omitempty"`
	KeySource      string `json:"public_key_source,omitempty"`
}

// Columns are the export's fields in order, named as in the canonical encoding.
var Columns = []string{"seq", "id", "recorded_at", "kind", "delivery_id", "installation", "repository", "pr",
	"sha", "subject", "actor", "outcome", "policy_digest", "policy_repo", "policy_path", "policy_ref",
	"policy_blob_sha", "facts_sha256", "decision_sha256", "prev_hash", "hash", "facts", "decision"}

func values(c store.ChainRecord) []string {
	r := c.Record
	return []string{strconv.FormatInt(r.Seq, 10), r.ID, store.FormatTime(r.RecordedAt), string(r.Kind), r.DeliveryID,
		strconv.FormatInt(r.Installation, 10), r.Repository, strconv.Itoa(r.PR), r.SHA, r.Subject, r.Actor, r.Outcome,
		r.PolicyDigest, r.PolicySource.Repo, r.PolicySource.Path, r.PolicySource.Ref, r.PolicySource.BlobSHA,
		c.FactsDigest, c.DecisionDigest, r.PrevHash, r.Hash, string(r.Facts), string(r.Decision)}
}

// Export streams the records q selects to w, one row at a time, and returns the
// manifest (it does not write the trailer; see WriteTrailer). Records appended after
// the export started are left out, so the rows match the head in the manifest.
func Export(ctx context.Context, src store.ChainReader, w io.Writer, q ExportQuery, storeName string) (Manifest, error) {
	m := Manifest{Query: q, Store: storeName, ExtractedAt: time.Now().UTC()}
	var err error
	if m.HeadSeq, m.HeadHash, err = src.Head(ctx); err != nil {
		return Manifest{}, err
	}
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 64<<10)
	var (
		row   func(store.ChainRecord) error
		flush = bw.Flush
	)
	switch q.Format {
	case "csv":
		cw := csv.NewWriter(bw)
		if err := cw.Write(Columns); err != nil {
			return Manifest{}, err
		}
		row = func(c store.ChainRecord) error { return cw.Write(values(c)) }
		flush = func() error {
			if cw.Flush(); cw.Error() != nil {
				return cw.Error()
			}
			return bw.Flush()
		}
	case "jsonl":
		var line bytes.Buffer
		row = func(c store.ChainRecord) error {
			line.Reset()
			writeJSONRow(&line, values(c))
			_, err := bw.Write(line.Bytes())
			return err
		}
	default:
		return Manifest{}, fmt.Errorf("export: unknown format %q (csv or jsonl)", q.Format)
	}
	f := store.Filter{Since: q.Since, Until: q.Until, Repo: q.Repo, Kinds: q.Kinds, Actor: q.Actor, Outcome: q.Outcome, Scope: q.Scope}
	err = src.QueryChain(ctx, f, func(c store.ChainRecord) error {
		if c.Seq > m.HeadSeq {
			return nil
		}
		m.RowCount++
		return row(c)
	})
	if err != nil {
		return Manifest{}, err
	}
	if err := flush(); err != nil {
		return Manifest{}, fmt.Errorf("export: write: %w", err)
	}
	m.SHA256 = hex.EncodeToString(h.Sum(nil))
	pk, err := PublishKey(ctx, src, nil)
	if err != nil {
		return Manifest{}, err
	}
	m.SetKey(pk)
	return m, nil
}

// SetKey puts a published key in the manifest.
func (m *Manifest) SetKey(pk PublishedKey) {
	m.PublicKey, m.KeyFingerprint, m.KeySource = pk.PEM, pk.Fingerprint, pk.Source
}

// numeric columns are JSON numbers in jsonl; everything else is a string.
var numeric = map[string]bool{"seq": true, "installation": true, "pr": true}

// writeJSONRow writes one jsonl line with the columns in order. Documents are JSON
// strings holding the stored bytes exactly, so sha256 of the string's UTF-8 is the
// digest the chain covers; no HTML escaping, so nothing is rewritten.
func writeJSONRow(b *bytes.Buffer, vals []string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	b.WriteByte('{')
	for i, col := range Columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + col + `":`)
		if numeric[col] {
			b.WriteString(vals[i])
			continue
		}
		_ = enc.Encode(vals[i]) // a string always encodes
		b.Truncate(b.Len() - 1) // Encode's newline
	}
	b.WriteString("}\n")
}

// WriteTrailer ends an export on stdout with its manifest: a comment line for csv, a
// last {"foureyes_export_manifest": ...} object for jsonl. The trailer is not part of
// the hashed rows.
func WriteTrailer(w io.Writer, m Manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if m.Query.Format == "csv" {
		_, err = fmt.Fprintf(w, "# foureyes-export-manifest %s\n", b)
	} else {
		_, err = fmt.Fprintf(w, "{\"foureyes_export_manifest\":%s}\n", b)
	}
	return err
}
