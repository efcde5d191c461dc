package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

// Problems the signature and checkpoint checks name.
const (
	NotSigned    = "not signed"    // records no signature of the app's key covers: appended outside foureyes
	BadSignature = "bad signature" // a signature that does not verify, or by another key
)

// Options are what an auditor brings to a verification besides the database.
type Options struct {
	// Head is a head hash noted earlier; the chain must still contain it.
	Head string
	// PublicKey is the app's published key (`foureyes audit pubkey`). When set, every
	// signature must be by it, and a log without signatures fails. When nil, the
	// signatures must all verify under the one key the log names (shown in Result, to be
	// compared with the published one).
	PublicKey ed25519.PublicKey
	// Checkpoints are signed heads written outside the database; each must still be in
	// the chain, at its sequence number, with its hash.
	Checkpoints []Checkpoint
}

// VerifyWith is Verify plus the app's signatures and the checkpoints: the chain must
// verify, every signature must be the app's over the record stored at its sequence
// number, the last record must be signed (a record INSERTed with a correct SHA-256 chain
// but no signature is reported as NotSigned), and every checkpoint must name a record
// the chain still holds.
func VerifyWith(ctx context.Context, src store.ChainReader, o Options) (Result, error) {
	// The signatures are checked while the chain is, on another connection: each check
	// needs only the signature row and the hash the database holds at its sequence
	// number, which the chain verification then proves authentic.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sr, signed := src.(store.SignatureReader)
	sigs := make(chan sigResult, 1)
	if signed {
		go func() { sigs <- checkSignatures(ctx, sr, o.PublicKey) }()
	}
	res, err := Verify(ctx, src, o.Head)
	if err != nil {
		return res, err
	}
	key := o.PublicKey
	if signed {
		sg := <-sigs
		if sg.err != nil {
			return Result{}, sg.err
		}
		if sg.problem != nil {
			return Result{}, sg.problem(res)
		}
		res.Signatures, res.SignedThrough, key = sg.count, sg.last, sg.key
		if res.HeadSeq > sg.last && (sg.last > 0 || o.PublicKey != nil) {
			return Result{}, &ChainError{sg.last + 1, NotSigned, fmt.Sprintf("records %d..%d carry no signature of the app's key: they were appended outside foureyes (forged), whatever their SHA-256 chain", sg.last+1, res.HeadSeq)}
		}
	} else if o.PublicKey != nil {
		return Result{}, errors.New("this store keeps no signatures")
	}
	if key != nil {
		res.SigningKey = signing.Fingerprint(key)
	}
	for _, cp := range o.Checkpoints {
		if err := checkCheckpoint(ctx, src, res, key, cp); err != nil {
			return Result{}, err
		}
		res.Checkpoints++
	}
	return res, nil
}

// sigResult is what checkSignatures found: the first problem (a function of the chain's
// result, which names the head), or the count, the last record signed and the key.
type sigResult struct {
	problem func(Result) error
	err     error
	count   int64
	last    int64
	key     ed25519.PublicKey
}

// checkSignatures verifies every signature in sequence order, stopping at the first bad
// one: it must name the record stored at its sequence number, be by the one app key
// (pinned when key is set), and verify.
func checkSignatures(ctx context.Context, sr store.SignatureReader, key ed25519.PublicKey) sigResult {
	var out sigResult
	stop := errors.New("stop")
	fail := func(f func(Result) error) error { out.problem = f; return stop }
	err := sr.ScanSignatures(ctx, func(sg store.Signature) error {
		switch {
		case sg.ChainHash == "":
			return fail(func(res Result) error {
				return &ChainError{sg.Seq, MissingTail, fmt.Sprintf("record %d was signed, but the chain ends at record %d: records from %d on were removed", sg.Seq, res.HeadSeq, res.HeadSeq+1)}
			})
		case sg.ChainHash != sg.Hash:
			return fail(func(Result) error {
				return &ChainError{sg.Seq, ContentChanged, fmt.Sprintf("the record stored at %d (hash %s) is not the record signed (hash %s)", sg.Seq, sg.ChainHash, sg.Hash)}
			})
		}
		pub, err := signing.ParsePublicKey([]byte(sg.PublicKey))
		if err != nil {
			return fail(func(Result) error {
				return &ChainError{sg.Seq, BadSignature, "the signature names no valid public key"}
			})
		}
		if key == nil {
			key = pub
		} else if !bytes.Equal(key, pub) {
			k := key
			return fail(func(Result) error {
				return &ChainError{sg.Seq, BadSignature, fmt.Sprintf("signed by key %s, not the app's key %s", signing.Fingerprint(pub), signing.Fingerprint(k))}
			})
		}
		if signing.Verify(key, signing.RecordMessage(sg.Seq, sg.Hash), sg.Signature) != nil {
			return fail(func(Result) error {
				return &ChainError{sg.Seq, BadSignature, "the signature does not verify: it was not made by the app's key"}
			})
		}
		out.count++
		out.last = sg.Seq
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		out.err = err
	}
	out.key = key
	return out
}

func checkCheckpoint(ctx context.Context, src store.ChainReader, res Result, key ed25519.PublicKey, cp Checkpoint) error {
	if err := cp.Verify(key); err != nil {
		return &ChainError{cp.Seq, BadSignature, err.Error()}
	}
	if cp.Seq > res.HeadSeq {
		return &ChainError{res.HeadSeq + 1, MissingTail, fmt.Sprintf("the checkpoint of %s names record %d (hash %s), but the chain ends at record %d: records were removed after the checkpoint", cp.At, cp.Seq, cp.Hash, res.HeadSeq)}
	}
	var got string
	stop := errors.New("stop")
	err := src.ScanChain(ctx, cp.Seq, false, func(c store.ChainRecord) error {
		if c.Seq == cp.Seq {
			got = c.Hash
		}
		return stop
	})
	if err != nil && !errors.Is(err, stop) {
		return err
	}
	if got != cp.Hash {
		return &ChainError{cp.Seq, ContentChanged, fmt.Sprintf("record %d has hash %s, but the checkpoint of %s signed hash %s: the history up to it was rewritten after the checkpoint", cp.Seq, got, cp.At, cp.Hash)}
	}
	return nil
}
