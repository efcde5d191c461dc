package evidence

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/foureyes/foureyes/internal/store"
)

// Limits of what verify reads from a package: a package is outside input.
const (
	maxPackageFiles = 100_000
	maxFileBytes    = 1 << 30 // one file, uncompressed
	maxTotalBytes   = 4 << 30
	maxLineBytes    = 64 << 20 // one line of records.jsonl
)

// VerifyResult is what an offline verification saw.
type VerifyResult struct {
	Manifest      PackageManifest
	Records       int      // records checked in records.jsonl
	ChangeRecords int      // of them, records of the change
	Signatures    int      // signatures verified
	SigningKey    string   // fingerprint of the key they verify under
	Reperformed   int      // decisions re-evaluated
	Problems      []string // empty when the package verifies
	Notes         []string // what could not be checked, without failing (e.g. no policy text)
}

// OK says the package verified.
func (r VerifyResult) OK() bool { return len(r.Problems) == 0 }

// VerifyPackage checks an evidence package offline: every file against the manifest, the
// records' hashes and links from the first record to the head, the change's documents
// against their digests, and (when head is not "") that head is the package's head or a
// record in it. Re-performance results are added by Reperform. The error is a package
// that cannot be read at all; a package that reads but does not verify has Problems.
func VerifyPackage(r io.ReaderAt, size int64, head string) (VerifyResult, error) {
	files, err := readZip(r, size)
	if err != nil {
		return VerifyResult{}, err
	}
	var res VerifyResult
	bad := func(format string, args ...any) { res.Problems = append(res.Problems, fmt.Sprintf(format, args...)) }
	mb, ok := files["manifest.json"]
	if !ok {
		return VerifyResult{}, errors.New("not an evidence package: no manifest.json")
	}
	if err := json.Unmarshal(mb, &res.Manifest); err != nil {
		return VerifyResult{}, fmt.Errorf("manifest.json: %w", err)
	}
	m := res.Manifest
	if m.Format != PackageFormat {
		return res, fmt.Errorf("manifest.json: format %q, want %q", m.Format, PackageFormat)
	}
	listed := map[string]bool{"manifest.json": true}
	for _, f := range m.Files {
		listed[f.Name] = true
		b, ok := files[f.Name]
		if !ok {
			bad("file %s: listed in the manifest but missing", f.Name)
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 {
			bad("file %s: content changed (sha256 differs from the manifest)", f.Name)
		}
	}
	for name := range files {
		if !listed[name] {
			bad("file %s: not listed in the manifest", name)
		}
	}
	rows, err := parseRows(files["records.jsonl"])
	if err != nil {
		bad("records.jsonl: %v", err)
	}
	res.Records = len(rows)
	checkChain(rows, m, head, bad)
	res.SigningKey, res.Signatures = checkSignatures(files["signatures.jsonl"], rows, m, bad)
	bySeq := map[int64]Row{}
	for _, w := range rows {
		bySeq[w.Seq] = w
	}
	for _, seq := range m.ChangeRecords {
		w, ok := bySeq[seq]
		if !ok {
			bad("record %d: a record of the change is missing", seq)
			continue
		}
		res.ChangeRecords++
		for _, d := range [...]struct{ name, body, digest, file string }{
			{"facts", w.Facts, w.FactsSHA256, fmt.Sprintf("records/%d-%s.facts.json", w.Seq, w.Kind)},
			{"decision", w.Decision, w.DecisionSHA256, fmt.Sprintf("records/%d-%s.decision.json", w.Seq, w.Kind)},
		} {
			if store.DocumentDigest([]byte(d.body)) != d.digest {
				bad("record %d: %s document does not match its digest", w.Seq, d.name)
			}
			if f, ok := files[d.file]; ok && store.DocumentDigest(f) != d.digest {
				bad("file %s: does not match the %s digest of record %d", d.file, d.name, w.Seq)
			} else if !ok && d.digest != "" {
				bad("file %s: missing", d.file)
			}
		}
	}
	// Other records carry documents only when the change's decisions combine them
	// (shared heads): those must be the documents their hashed digests name.
	inChange := map[int64]bool{}
	for _, seq := range m.ChangeRecords {
		inChange[seq] = true
	}
	for _, w := range rows {
		if inChange[w.Seq] {
			continue
		}
		if w.Facts != "" && store.DocumentDigest([]byte(w.Facts)) != w.FactsSHA256 ||
			w.Decision != "" && store.DocumentDigest([]byte(w.Decision)) != w.DecisionSHA256 {
			bad("record %d: a document does not match its digest", w.Seq)
		}
	}
	reperformAll(files, bySeq, m, &res, bad)
	return res, nil
}

// checkChain checks sequence, links and hashes from the first record to the head.
func checkChain(rows []Row, m PackageManifest, head string, bad func(string, ...any)) {
	if len(rows) == 0 {
		bad("records.jsonl: no records")
		return
	}
	if rows[0].Seq != m.FirstSeq {
		bad("record %d: the package should start at record %d", rows[0].Seq, m.FirstSeq)
	}
	var h store.Hasher
	headSeen := head == "" || head == m.HeadHash
	for i, w := range rows {
		if i > 0 {
			if w.Seq != rows[i-1].Seq+1 {
				bad("record %d: record missing (after %d)", rows[i-1].Seq+1, rows[i-1].Seq)
				return
			}
			if w.PrevHash != rows[i-1].Hash {
				bad("record %d: order changed: does not link to record %d", w.Seq, rows[i-1].Seq)
				return
			}
		}
		rec, err := w.record()
		if err != nil {
			bad("record %d: %v", w.Seq, err)
			return
		}
		if !h.Matches(&rec, w.FactsSHA256, w.DecisionSHA256, w.Hash) {
			bad("record %d: content changed: its hash does not match its fields", w.Seq)
			return
		}
		if w.Hash == head {
			headSeen = true
		}
	}
	last := rows[len(rows)-1]
	if last.Seq != m.HeadSeq || last.Hash != m.HeadHash {
		bad("record %d: the chain ends at %d %s, not at the manifest's head %d %s", last.Seq, last.Seq, last.Hash, m.HeadSeq, m.HeadHash)
	}
	if !headSeen {
		bad("head %s: not in this package (the package's head is %s)", head, m.HeadHash)
	}
}

func parseRows(b []byte) ([]Row, error) {
	var rows []Row
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	for n := 1; sc.Scan(); n++ {
		var w Row
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&w); err != nil {
			return rows, fmt.Errorf("line %d: %w", n, err)
		}
		rows = append(rows, w)
	}
	return rows, sc.Err()
}

// readZip reads every file of a zip into memory, refusing what an honest package never
// holds: directories escaping the root, duplicate names, too many or too large files.
func readZip(r io.ReaderAt, size int64) (map[string][]byte, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("not a zip file: %w", err)
	}
	if len(zr.File) > maxPackageFiles {
		return nil, fmt.Errorf("package holds %d files (limit %d)", len(zr.File), maxPackageFiles)
	}
	files := map[string][]byte{}
	var total int64
	for _, f := range zr.File {
		name := f.Name
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || path.Clean(name) != name ||
			slices.Contains(strings.Split(name, "/"), "..") {
			return nil, fmt.Errorf("package file %q: not a plain relative name", name)
		}
		if _, dup := files[name]; dup {
			return nil, fmt.Errorf("package file %q appears twice", name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("package file %s: %w", name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, maxFileBytes+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("package file %s: %w", name, err)
		}
		if len(b) > maxFileBytes {
			return nil, fmt.Errorf("package file %s is larger than %d bytes", name, maxFileBytes)
		}
		if total += int64(len(b)); total > maxTotalBytes {
			return nil, fmt.Errorf("package is larger than %d bytes", maxTotalBytes)
		}
		files[name] = b
	}
	return files, nil
}

// ReadPackageFile returns one file of a package (for the console and tests), read with
// the same limits as verification.
func ReadPackageFile(r io.ReaderAt, size int64, name string) ([]byte, error) {
	files, err := readZip(r, size)
	if err != nil {
		return nil, err
	}
	b, ok := files[name]
	if !ok {
		return nil, fmt.Errorf("package has no %s", name)
	}
	return b, nil
}
