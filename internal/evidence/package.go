package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"sort"
	"strconv"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// PackageFormat names the evidence package format (docs/audit.md, "Evidence packages").
const PackageFormat = "foureyes-evidence-v1"

// ChangeQuery names one change: a pull request, or a commit SHA, of a repository.
type ChangeQuery struct {
	Repo string `json:"repo"`
	PR   int    `json:"pr,omitempty"`
	SHA  string `json:"sha,omitempty"`
}

// PackageOptions are what a package needs beyond the records.
type PackageOptions struct {
	Now func() time.Time // extraction time; time.Now when nil
	// PublicKey is the audit log's signing public key (PEM), when the caller holds the
	// app's key; else the key the log's signatures name is used.
	PublicKey string
	// Policies gives the exact policy texts by policy digest, for re-performance; nil
	// leaves them out (the package then says so).
	Policies PolicyTexts
}

// PolicyTexts returns the policy in force for a decision, as read, by the decision's
// recorded policy digest (store.ErrNotFound when the store does not hold it).
type PolicyTexts interface {
	PolicyText(ctx context.Context, digest string) ([]byte, error)
}

// FileEntry is one file of a package with its SHA-256.
type FileEntry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// PackageManifest is manifest.json: what the package holds and against which head.
type PackageManifest struct {
	Format      string      `json:"format"`
	Version     string      `json:"foureyes_version"`
	ExtractedAt time.Time   `json:"extracted_at"`
	Change      ChangeQuery `json:"change"`
	HeadSeq     int64       `json:"chain_head_seq"`
	HeadHash    string      `json:"chain_head_hash"`
	// FirstSeq is the first record in records.jsonl: from there to the head every record
	// is included (without documents unless it belongs to the change), so the change's
	// records are proven to be in the chain that ends at the head.
	FirstSeq      int64   `json:"first_seq"`
	ChangeRecords []int64 `json:"change_records"` // seq of each record of the change
	// PublicKey is the audit log's Ed25519 signing key (PEM) when the log is signed; the
	// package then holds signatures.jsonl. Compare it with `foureyes audit pubkey`.
	PublicKey      string      `json:"audit_public_key,omitempty"`
	KeyFingerprint string      `json:"audit_public_key_fingerprint,omitempty"`
	KeySource      string      `json:"audit_public_key_source,omitempty"`
	Files          []FileEntry `json:"files"` // every file but manifest.json, sorted by name
}

// Version is the version of this foureyes binary (module version and VCS revision).
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" {
			v += "+" + s.Value
		}
	}
	return v
}

// ErrNoRecords is returned when the chain holds nothing about the change.
var ErrNoRecords = fmt.Errorf("no audit records for this change")

// WritePackage writes the evidence package of one change to w as a zip file.
func WritePackage(ctx context.Context, w io.Writer, src store.ChainReader, q ChangeQuery, opt PackageOptions) error {
	now := time.Now
	if opt.Now != nil {
		now = opt.Now
	}
	headSeq, headHash, err := src.Head(ctx)
	if err != nil {
		return err
	}
	recs, err := audit.Trace(ctx, src, audit.TraceQuery{Repo: q.Repo, PR: q.PR, SHA: q.SHA})
	if err != nil {
		return err
	}
	var change []store.ChainRecord
	for _, r := range recs {
		if r.Seq <= headSeq {
			change = append(change, r)
		}
	}
	if len(change) == 0 {
		return ErrNoRecords
	}
	m := PackageManifest{Format: PackageFormat, Version: Version(), ExtractedAt: now().UTC(), Change: q,
		HeadSeq: headSeq, HeadHash: headHash, FirstSeq: change[0].Seq, PublicKey: opt.PublicKey}
	files := map[string][]byte{}
	// withDocs are the records written with their documents: the change's, and the other
	// pull requests' decisions its shared-head records combine.
	withDocs, err := combinedDecisions(ctx, src, change)
	if err != nil {
		return err
	}
	for seq := range withDocs {
		m.FirstSeq = min(m.FirstSeq, seq)
	}
	for _, r := range change {
		m.ChangeRecords = append(m.ChangeRecords, r.Seq)
		withDocs[r.Seq] = r
	}

	// Files are written into the zip as they are made, each hashed on the way, and the
	// manifest last: records.jsonl, the chain slice from the change's first record to the
	// head, is streamed, so a package of a long chain is not held in memory.
	zw := zip.NewWriter(w)
	create := func(name string) (io.Writer, func(), error) {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: m.ExtractedAt})
		if err != nil {
			return nil, nil, err
		}
		h, n := sha256.New(), &countWriter{}
		done := func() {
			m.Files = append(m.Files, FileEntry{Name: name, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n.n})
		}
		return io.MultiWriter(f, h, n), done, nil
	}
	out, done, err := create("records.jsonl")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 64<<10)
	err = src.ScanChain(ctx, m.FirstSeq, false, func(c store.ChainRecord) error {
		if c.Seq > headSeq {
			return nil
		}
		if full, ok := withDocs[c.Seq]; ok {
			c = full
		}
		b, err := json.Marshal(rowOf(c))
		if err != nil {
			return err
		}
		bw.Write(b)
		return bw.WriteByte('\n')
	})
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return err
	}
	done()
	sigs, err := packageSignatures(ctx, src, m.FirstSeq, headSeq)
	if err != nil {
		return fmt.Errorf("signatures: %w", err)
	}
	if sigs != nil {
		files["signatures.jsonl"] = sigs
	}
	if m.PublicKey == "" {
		pk, err := audit.PublishKey(ctx, src, nil)
		if err != nil {
			return fmt.Errorf("audit public key: %w", err)
		}
		m.PublicKey, m.KeyFingerprint, m.KeySource = pk.PEM, pk.Fingerprint, pk.Source
	}

	// Each record's documents as stored, the check-run text of each decision, and the
	// policy it was made under.
	for _, r := range change {
		base := "records/" + strconv.FormatInt(r.Seq, 10) + "-" + string(r.Kind)
		if len(r.Facts) > 0 {
			files[base+".facts.json"] = r.Facts
		}
		if len(r.Decision) > 0 {
			files[base+".decision.json"] = r.Decision
		}
		if r.Kind == store.KindPRDecision || r.Kind == store.KindPolicyError {
			var d policy.Decision
			if err := json.Unmarshal(r.Decision, &d); err == nil {
				files[base+".checkrun.md"] = []byte(report.Markdown(d))
			}
		}
		if r.PolicyDigest != "" && opt.Policies != nil {
			name := PolicyFileName(r.PolicyDigest)
			if _, done := files[name]; !done {
				text, err := opt.Policies.PolicyText(ctx, r.PolicyDigest)
				switch {
				case err == nil:
					files[name] = text
				case err != store.ErrNotFound:
					return fmt.Errorf("policy %s: %w", r.PolicyDigest, err)
				}
			}
		}
	}
	sum, err := Summarize(change, m)
	if err != nil {
		return err
	}
	var html bytes.Buffer
	if err := writeSummaryHTML(&html, sum); err != nil {
		return err
	}
	files["summary.html"] = html.Bytes()

	for _, n := range sortedKeys(files) {
		out, done, err := create(n)
		if err != nil {
			return err
		}
		if _, err := out.Write(files[n]); err != nil {
			return err
		}
		done()
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "manifest.json", Method: zip.Deflate, Modified: m.ExtractedAt})
	if err != nil {
		return err
	}
	if _, err := f.Write(append(mb, '\n')); err != nil {
		return err
	}
	return zw.Close()
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// PolicyFileName is where a package keeps the policy of a digest.
func PolicyFileName(digest string) string {
	sum := sha256.Sum256([]byte(digest))
	return "policies/" + hex.EncodeToString(sum[:8]) + ".json"
}

// Row is one record in records.jsonl: the export's fields (docs/audit.md), documents as
// JSON strings holding the stored bytes, empty for records outside the change.
type Row struct {
	Seq            int64  `json:"seq"`
	ID             string `json:"id"`
	RecordedAt     string `json:"recorded_at"`
	Kind           string `json:"kind"`
	DeliveryID     string `json:"delivery_id"`
	Installation   int64  `json:"installation"`
	Repository     string `json:"repository"`
	PR             int    `json:"pr"`
	SHA            string `json:"sha"`
	Subject        string `json:"subject"`
	Actor          string `json:"actor"`
	Outcome        string `json:"outcome"`
	PolicyDigest   string `json:"policy_digest"`
	PolicyRepo     string `json:"policy_repo"`
	PolicyPath     string `json:"policy_path"`
	PolicyRef      string `json:"policy_ref"`
	PolicyBlobSHA  string `json:"policy_blob_sha"`
	FactsSHA256    string `json:"facts_sha256"`
	DecisionSHA256 string `json:"decision_sha256"`
	PrevHash       string `json:"prev_hash"`
	Hash           string `json:"hash"`
	Facts          string `json:"facts"`
	Decision       string `json:"decision"`
}

func rowOf(c store.ChainRecord) Row {
	r := c.Record
	return Row{Seq: r.Seq, ID: r.ID, RecordedAt: store.FormatTime(r.RecordedAt), Kind: string(r.Kind), DeliveryID: r.DeliveryID,
		Installation: r.Installation, Repository: r.Repository, PR: r.PR, SHA: r.SHA, Subject: r.Subject, Actor: r.Actor,
		Outcome: r.Outcome, PolicyDigest: r.PolicyDigest, PolicyRepo: r.PolicySource.Repo, PolicyPath: r.PolicySource.Path,
		PolicyRef: r.PolicySource.Ref, PolicyBlobSHA: r.PolicySource.BlobSHA, FactsSHA256: c.FactsDigest,
		DecisionSHA256: c.DecisionDigest, PrevHash: r.PrevHash, Hash: r.Hash, Facts: string(r.Facts), Decision: string(r.Decision)}
}

// record turns a row back into the record it encodes.
func (w Row) record() (store.Record, error) {
	t, err := store.ParseTime(w.RecordedAt)
	if err != nil {
		return store.Record{}, fmt.Errorf("recorded_at: %w", err)
	}
	return store.Record{Seq: w.Seq, ID: w.ID, RecordedAt: t, Kind: store.Kind(w.Kind), DeliveryID: w.DeliveryID,
		Installation: w.Installation, Repository: w.Repository, PR: w.PR, SHA: w.SHA, Subject: w.Subject, Actor: w.Actor,
		Outcome: w.Outcome, PolicyDigest: w.PolicyDigest,
		PolicySource: store.PolicySource{Repo: w.PolicyRepo, Path: w.PolicyPath, Ref: w.PolicyRef, BlobSHA: w.PolicyBlobSHA},
		Facts:        json.RawMessage(w.Facts), Decision: json.RawMessage(w.Decision), PrevHash: w.PrevHash, Hash: w.Hash}, nil
}
