// Package audit verifies, exports and traces the hash-chained audit log kept by
// internal/store. It recomputes everything from stored content and trusts no stored
// hash it has not re-derived.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/foureyes/foureyes/internal/store"
)

// Problems verify names.
const (
	ContentChanged = "content changed"
	RecordMissing  = "record missing"
	OrderChanged   = "order changed"
	MissingTail    = "missing tail"
)

// ChainError is the first place the chain does not verify.
type ChainError struct {
	Seq     int64  // the first bad sequence number
	Problem string // one of the constants above
	Detail  string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("record %d: %s: %s", e.Seq, e.Problem, e.Detail)
}

// Result is what a successful verification saw.
type Result struct {
	Records int64
	HeadSeq int64
	Head    string // hash of the last record, or store.GenesisHash for an empty log
	// Filled by VerifyWith: the signatures verified, the last record signed, the
	// fingerprint of the key that signed, and the checkpoints found in the chain.
	Signatures    int64
	SignedThrough int64
	SigningKey    string
	Checkpoints   int
}

// moveWindow is how far from its position verify looks for the sequence number a
// mismatching record would verify under, to tell a moved record from an edited one.
const moveWindow = 1000

// Verify recomputes the whole chain in one pass: every document (each once, against the
// digest that names it) and every record in sequence order. Memory is bounded but for
// the set of document digests the store keeps to tell a missing document (about 40
// bytes a document, see store.ScanChain).
// head, when not empty, is a hash recorded elsewhere earlier (for example in an export
// manifest); the chain must still contain it, or its tail was removed.
//
// A store that is a store.CanonicalScanner is first checked on the fast path
// (verifyFast), which only ever accepts; on any doubt the careful path below runs and
// reports exactly what it always did.
//
// The documents are checked while the records are, on another connection. When a
// document turns out altered (only after tampering), the records are verified again
// knowing which, so the first problem is reported exactly where a sequential check
// would report it.
func Verify(ctx context.Context, src store.ChainReader, head string) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	docs := make(chan docsResult, 1)
	go func() {
		bad, good, err := badDocuments(ctx, src)
		docs <- docsResult{bad, good, err}
	}()
	if cs, ok := src.(store.CanonicalScanner); ok {
		res, d, err := verifyFast(ctx, cs, head, docs)
		if d != nil {
			// verifyFast took the documents' result: pass it on to the careful path.
			if d.err != nil {
				return Result{}, d.err
			}
			d.good = nil // the careful path keeps its own set
			docs <- *d
		}
		if err != nil && !errors.Is(err, errSlowPath) {
			return Result{}, err
		}
		if err == nil && len(d.bad) == 0 {
			return res, nil
		}
		// Something is off (or a document was altered): the careful path finds and
		// names the first problem.
	}
	res, err := verifyChain(ctx, src, head, nil)
	if err != nil && !isChainError(err) {
		return Result{}, err
	}
	d := <-docs
	if d.err != nil {
		return Result{}, d.err
	}
	if len(d.bad) > 0 {
		return verifyChain(ctx, src, head, d.bad)
	}
	return res, err
}

// errSlowPath ends verifyFast when a record does not verify there.
var errSlowPath = errors.New("verify on the careful path")

// verifyFast checks the chain from the canonical encodings the store renders, and
// accepts it only when every check verifyChain makes passes: sequence numbers without
// gaps, every named document stored, every encoding hashing to the stored hash, and
// every prev_hash naming its predecessor (the documents' content is checked apart, as
// for verifyChain). A rendered encoding whose hash is the stored one is the string the
// hash was computed over, so it holds the fields verifyChain would encode. On anything
// else it returns errSlowPath, and verifyChain, which builds every encoding itself,
// finds and names the first problem.
func verifyFast(ctx context.Context, src store.CanonicalScanner, head string, docs <-chan docsResult) (Result, *docsResult, error) {
	var (
		res      = Result{Head: store.GenesisHash}
		expected = int64(1)
		headSeen = head == ""
		prev     [2 * sha256.Size]byte
		hx       [2 * sha256.Size]byte
		d        *docsResult
		// The digests records name before the documents are all read; beyond
		// maxPending, verifyFast waits for them.
		pending [][sha256.Size]byte
	)
	const maxPending = 1 << 16
	copy(prev[:], store.GenesisHash)
	// took checks the documents' result and the digests pending on it.
	took := func(r docsResult) error {
		d = &r
		if d.err != nil || len(d.bad) > 0 {
			return errSlowPath
		}
		for _, k := range pending {
			if _, ok := d.good[k]; !ok {
				return errSlowPath
			}
		}
		pending = nil
		return nil
	}
	wait := func() error {
		select {
		case r := <-docs:
			return took(r)
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	known := func(digest []byte) error {
		if len(digest) == 0 {
			return nil
		}
		k, ok := decodeDigest(digest)
		if !ok {
			return errSlowPath
		}
		if d != nil {
			if _, ok := d.good[k]; !ok {
				return errSlowPath
			}
			return nil
		}
		pending = append(pending, k)
		select {
		case r := <-docs:
			return took(r)
		default:
		}
		if len(pending) >= maxPending {
			return wait()
		}
		return nil
	}
	err := src.ScanCanonical(ctx, 1, func(c *store.CanonicalRow) error {
		if c.Seq != expected || c.Malformed || c.Missing || len(c.Hash) != len(hx) || !bytes.Equal(c.PrevHash, prev[:]) {
			return errSlowPath
		}
		if !c.DocsChecked {
			if err := known(c.FactsDigest); err != nil {
				return err
			}
			if err := known(c.DecisionDigest); err != nil {
				return err
			}
		}
		sum := sha256.Sum256(c.Canonical)
		hex.Encode(hx[:], sum[:])
		if !bytes.Equal(hx[:], c.Hash) {
			return errSlowPath
		}
		copy(prev[:], hx[:])
		if !headSeen && string(hx[:]) == head {
			headSeen = true
		}
		res.Records, res.HeadSeq = res.Records+1, c.Seq
		expected++
		return nil
	})
	if err == nil && d == nil {
		err = wait()
	}
	if err == nil && !headSeen {
		err = errSlowPath
	}
	if err != nil {
		return Result{}, d, err
	}
	if res.Records > 0 {
		res.Head = string(prev[:])
	}
	return res, d, nil
}

// decodeDigest decodes a lower-case hex SHA-256 (upper case does not decode: digests
// are compared as text).
func decodeDigest(b []byte) ([sha256.Size]byte, bool) {
	var d [sha256.Size]byte
	if len(b) != 2*sha256.Size {
		return d, false
	}
	for i := range b {
		c := b[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return d, false
		}
		d[i/2] |= v << (4 * (1 - i%2))
	}
	return d, true
}

type docsResult struct {
	bad  map[string]string
	good map[[sha256.Size]byte]struct{}
	err  error
}

func isChainError(err error) bool {
	_, ok := err.(*ChainError)
	return ok
}

// badDocuments returns the documents whose content no longer matches their digest, by
// digest, with the digest of their content now, and the set of the others (as bytes).
func badDocuments(ctx context.Context, src store.ChainReader) (map[string]string, map[[sha256.Size]byte]struct{}, error) {
	badDocs := map[string]string{}
	good := map[[sha256.Size]byte]struct{}{}
	var h [sha256.Size]byte
	var hx [2 * sha256.Size]byte
	err := src.ScanDocuments(ctx, func(digest string, body []byte) error {
		h = sha256.Sum256(body)
		hex.Encode(hx[:], h[:])
		if len(body) == 0 || string(hx[:]) != digest {
			if got := store.DocumentDigest(body); got != digest {
				badDocs[digest] = got
			}
			return nil
		}
		good[h] = struct{}{}
		return nil
	})
	return badDocs, good, err
}

// verifyChain checks every record in sequence order; badDocs names the altered documents.
func verifyChain(ctx context.Context, src store.ChainReader, head string, badDocs map[string]string) (Result, error) {
	var (
		res      = Result{Head: store.GenesisHash}
		expected = int64(1)
		headSeen = head == ""
		h        store.Hasher
	)
	err := src.ScanChain(ctx, 1, false, func(c store.ChainRecord) error {
		if c.Seq != expected {
			if c.Seq > expected {
				return &ChainError{expected, RecordMissing, fmt.Sprintf("records %d..%d are absent (the next stored record is %d)", expected, c.Seq-1, c.Seq)}
			}
			return &ChainError{c.Seq, OrderChanged, fmt.Sprintf("record %d appears where %d was expected", c.Seq, expected)}
		}
		if c.FactsMissing || c.DecisionMissing || len(badDocs) > 0 {
			if e := checkDocs(c, badDocs); e != nil {
				return e
			}
		}
		if !h.Matches(&c.Record, c.FactsDigest, c.DecisionDigest, c.Hash) {
			got := store.ComputeHash(c.Record, c.FactsDigest, c.DecisionDigest)
			if from, ok := movedFrom(c); ok {
				return &ChainError{c.Seq, OrderChanged, fmt.Sprintf("the record stored at %d was appended as record %d", c.Seq, from)}
			}
			return &ChainError{c.Seq, ContentChanged, fmt.Sprintf("recomputed hash %s differs from stored hash %s", got, c.Hash)}
		}
		if c.PrevHash != res.Head {
			return &ChainError{c.Seq, OrderChanged, fmt.Sprintf("prev_hash %s does not name record %d (hash %s)", c.PrevHash, c.Seq-1, res.Head)}
		}
		res.Records, res.HeadSeq, res.Head = res.Records+1, c.Seq, c.Hash
		if c.Hash == head {
			headSeen = true
		}
		expected++
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	if !headSeen {
		return Result{}, &ChainError{expected, MissingTail, fmt.Sprintf("the expected head %s is not in the chain, which ends at record %d (hash %s): records from %d on were removed", head, res.HeadSeq, res.Head, expected)}
	}
	return res, nil
}

// checkDocs reports a document the record names that is absent or no longer matches
// its digest.
func checkDocs(c store.ChainRecord, badDocs map[string]string) *ChainError {
	for _, d := range []struct {
		name, digest string
		missing      bool
	}{{"facts", c.FactsDigest, c.FactsMissing}, {"decision", c.DecisionDigest, c.DecisionMissing}} {
		if d.missing {
			return &ChainError{c.Seq, ContentChanged, fmt.Sprintf("%s document %s is missing", d.name, d.digest)}
		}
		if got, bad := badDocs[d.digest]; bad && d.digest != "" {
			return &ChainError{c.Seq, ContentChanged, fmt.Sprintf("%s document %s was altered (its content now hashes to %s)", d.name, d.digest, got)}
		}
	}
	return nil
}

// movedFrom finds the sequence number near its position under which a record's stored
// hash does verify: then the record is intact but was moved.
func movedFrom(c store.ChainRecord) (int64, bool) {
	r := c.Record
	var h store.Hasher
	for d := int64(1); d <= moveWindow; d++ {
		for _, seq := range []int64{c.Seq - d, c.Seq + d} {
			if seq < 1 {
				continue
			}
			r.Seq = seq
			if h.Matches(&r, c.FactsDigest, c.DecisionDigest, c.Hash) {
				return seq, true
			}
		}
	}
	return 0, false
}
