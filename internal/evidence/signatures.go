package evidence

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"

	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

// SignatureLine is one line of signatures.jsonl: the app's Ed25519 signature over
// signing.RecordMessage(seq, hash) of a record, as the store keeps it.
type SignatureLine struct {
	Seq       int64  `json:"seq"`
	Hash      string `json:"hash"`
	PublicKey string `json:"public_key"` // base64 of the raw Ed25519 key
	Signature string `json:"signature"`  // base64
}

// packageSignatures returns signatures.jsonl for the records [first, head], or nil when
// the store keeps no signatures.
func packageSignatures(ctx context.Context, src store.ChainReader, first, head int64) ([]byte, error) {
	sr, ok := src.(store.SignatureReader)
	if !ok {
		return nil, nil
	}
	var b bytes.Buffer
	err := sr.ScanSignatures(ctx, func(sg store.Signature) error {
		if sg.Seq < first || sg.Seq > head {
			return nil
		}
		line, err := json.Marshal(SignatureLine{Seq: sg.Seq, Hash: sg.Hash, PublicKey: sg.PublicKey, Signature: sg.Signature})
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
		return nil
	})
	if err != nil || b.Len() == 0 {
		return nil, err
	}
	return b.Bytes(), nil
}

// checkSignatures verifies signatures.jsonl against the records: every signature by one
// key (the manifest's, when it names one), over the hash of the record at its sequence
// number, and the head signed, so no record after the last signature was appended outside
// foureyes. It returns the key's fingerprint.
func checkSignatures(body []byte, rows []Row, m PackageManifest, bad func(string, ...any)) (string, int) {
	if len(body) == 0 {
		if m.PublicKey != "" {
			bad("signatures.jsonl: missing, but the manifest names the audit log's signing key")
		}
		return "", 0
	}
	var key ed25519.PublicKey
	if m.PublicKey != "" {
		k, err := signing.ParsePublicKey([]byte(m.PublicKey))
		if err != nil {
			bad("manifest.json: audit_public_key is not a valid Ed25519 key")
			return "", 0
		}
		key = k
	}
	hashes := map[int64]string{}
	for _, w := range rows {
		hashes[w.Seq] = w.Hash
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	var last int64
	n := 0
	for line := 1; sc.Scan(); line++ {
		var sg SignatureLine
		if err := json.Unmarshal(sc.Bytes(), &sg); err != nil {
			bad("signatures.jsonl line %d: %v", line, err)
			return "", n
		}
		if h, ok := hashes[sg.Seq]; !ok || h != sg.Hash {
			bad("record %d: the signed hash is not the record's hash", sg.Seq)
			continue
		}
		pub, err := signing.ParsePublicKey([]byte(sg.PublicKey))
		switch {
		case err != nil:
			bad("record %d: the signature names no valid key", sg.Seq)
			continue
		case key == nil:
			key = pub
		case !key.Equal(pub):
			bad("record %d: signed by key %s, not %s", sg.Seq, signing.Fingerprint(pub), signing.Fingerprint(key))
			continue
		}
		if signing.Verify(key, signing.RecordMessage(sg.Seq, sg.Hash), sg.Signature) != nil {
			bad("record %d: bad signature", sg.Seq)
			continue
		}
		n++
		last = max(last, sg.Seq)
	}
	if last < m.HeadSeq {
		bad("records %d..%d: not signed by the audit log's key (appended outside foureyes)", last+1, m.HeadSeq)
	}
	if key == nil {
		return "", n
	}
	return fmt.Sprint(signing.Fingerprint(key)), n
}
