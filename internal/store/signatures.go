package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"github.com/foureyes/foureyes/internal/signing"
)

// ErrTampered wraps every refusal to use or extend a chain that does not verify: a record
// or signature that the app's key does not cover was put there by something else.
var ErrTampered = errors.New("audit log tampered")

// KeyHolder is implemented by both backends: the server gives the store the key that
// signs what it appends. Without one, records are appended unsigned (tests, tools).
type KeyHolder interface {
	// SetSigningKey makes every later commit sign its last record. From then on the store
	// refuses to append after a head its key did not sign (a record inserted outside
	// foureyes), unless the log has no signature at all yet (a log from before signing).
	SetSigningKey(priv ed25519.PrivateKey)
}

var _ KeyHolder = (*sqlStore)(nil)

// Signature is one row of the signatures table: the app's signature of record Seq.
type Signature struct {
	Seq       int64
	Hash      string // the record's hash as signed
	PublicKey string // signing.PublicKeyText of the key that signed
	Signature string // base64, over signing.RecordMessage(Seq, Hash)
	// ChainHash is the hash of the record stored at Seq now ("" when there is none).
	ChainHash string
}

// SignatureReader is implemented by both backends, for audit verify.
type SignatureReader interface {
	// ScanSignatures streams every signature in sequence order, with the hash of the
	// record stored at its sequence number.
	ScanSignatures(ctx context.Context, fn func(Signature) error) error
	// UnsignedPrefix is the last record appended before signing existed (0 for a store
	// created with signing).
	UnsignedPrefix(ctx context.Context) (int64, error)
}

var _ SignatureReader = (*sqlStore)(nil)

// signer is the store's signing state.
type signer struct {
	mu   sync.Mutex
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	// verified is the head signature last checked, so an unchanged head costs no
	// second Ed25519 verification.
	verified Signature
}

func (s *sqlStore) SetSigningKey(priv ed25519.PrivateKey) {
	s.sig.mu.Lock()
	defer s.sig.mu.Unlock()
	s.sig.priv = priv
	s.sig.pub = priv.Public().(ed25519.PublicKey)
}

func (s *sqlStore) signingKey() (ed25519.PrivateKey, ed25519.PublicKey) {
	s.sig.mu.Lock()
	defer s.sig.mu.Unlock()
	return s.sig.priv, s.sig.pub
}

// checkHeadSigned refuses to chain after a head the app's key did not sign. A record
// INSERTed by a script with a correct SHA-256 chain would otherwise be covered by the
// app's next signature.
func (s *sqlStore) checkHeadSigned(ctx context.Context, tx querier, pub ed25519.PublicKey, seq int64, hash string) error {
	if seq == 0 {
		return nil
	}
	var sg Signature
	err := tx.QueryRowContext(ctx, s.d.rebind(`SELECT seq, hash, public_key, signature FROM audit_signatures WHERE seq = ?`), seq).
		Scan(&sg.Seq, &sg.Hash, &sg.PublicKey, &sg.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM audit_signatures LIMIT 1`).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			// No signature yet: the first signed commit adopts the records appended before
			// signing existed, and no record after them.
			prefix, err := unsignedPrefix(ctx, tx, s.d)
			if err != nil {
				return err
			}
			if seq <= prefix {
				return nil
			}
			return fmt.Errorf("%w: records %d..%d were appended after signing began but carry no signature: they were appended outside foureyes; nothing more is appended until `foureyes audit verify` is run and the records explained (see docs/audit.md)", ErrTampered, prefix+1, seq)
		}
		if err != nil {
			return fmt.Errorf("read audit signatures: %w", err)
		}
		return fmt.Errorf("%w: the chain head, record %d, is not signed by this app: it was appended outside foureyes; nothing more is appended until `foureyes audit verify` is run and the record explained (see docs/audit.md)", ErrTampered, seq)
	}
	if err != nil {
		return fmt.Errorf("read the head's signature: %w", err)
	}
	sg.ChainHash = hash
	s.sig.mu.Lock()
	cached := s.sig.verified == sg
	s.sig.mu.Unlock()
	if cached {
		return nil
	}
	if sg.Hash != hash || sg.PublicKey != signing.PublicKeyText(pub) ||
		signing.Verify(pub, signing.RecordMessage(seq, hash), sg.Signature) != nil {
		return fmt.Errorf("%w: the signature of the chain head, record %d, does not verify under this app's key; nothing more is appended until `foureyes audit verify` is run (see docs/audit.md)", ErrTampered, seq)
	}
	s.sig.mu.Lock()
	s.sig.verified = sg
	s.sig.mu.Unlock()
	return nil
}

// insertSignature signs record (seq, hash), the last of a commit, in the commit's
// transaction.
func (s *sqlStore) insertSignature(ctx context.Context, tx querier, priv ed25519.PrivateKey, pub ed25519.PublicKey, seq int64, hash string) error {
	sg := Signature{Seq: seq, Hash: hash, PublicKey: signing.PublicKeyText(pub), Signature: signing.Sign(priv, signing.RecordMessage(seq, hash)), ChainHash: hash}
	_, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO audit_signatures (seq, hash, public_key, signature) VALUES (?, ?, ?, ?)`),
		sg.Seq, sg.Hash, sg.PublicKey, sg.Signature)
	if err != nil {
		return fmt.Errorf("store the signature of record %d: %w", seq, err)
	}
	// The next commit finds this signature at the head: it is the app's own, so it needs
	// no second verification. (Should this commit fail, the head read next differs and
	// is verified.)
	s.sig.mu.Lock()
	s.sig.verified = sg
	s.sig.mu.Unlock()
	return nil
}

// unsignedPrefix is the last record appended before signing existed (0 for a store
// created with signing).
func unsignedPrefix(ctx context.Context, q querier, d dialect) (int64, error) {
	var n sql.NullInt64
	if err := q.QueryRowContext(ctx, d.rebind(`SELECT MIN(seq) FROM audit_unsigned_prefix`)).Scan(&n); err != nil {
		return 0, fmt.Errorf("read the unsigned prefix: %w", err)
	}
	return n.Int64, nil
}

// UnsignedPrefix is the last record appended before signing existed (0 for a store
// created with signing): the only records a log may hold without a signature covering
// them.
func (s *sqlStore) UnsignedPrefix(ctx context.Context) (int64, error) {
	return unsignedPrefix(ctx, s.db, s.d)
}

// ScanSignatures streams every signature in sequence order.
func (s *sqlStore) ScanSignatures(ctx context.Context, fn func(Signature) error) error {
	rows, err := s.query(ctx, `SELECT s.seq, s.hash, s.public_key, s.signature, COALESCE(r.hash, '')
		FROM audit_signatures s LEFT JOIN audit_records r ON r.seq = s.seq ORDER BY s.seq`)
	if err != nil {
		return fmt.Errorf("scan audit signatures: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sg Signature
		if err := rows.Scan(&sg.Seq, &sg.Hash, &sg.PublicKey, &sg.Signature, &sg.ChainHash); err != nil {
			return fmt.Errorf("scan audit signatures: %w", err)
		}
		if err := fn(sg); err != nil {
			return err
		}
	}
	return rows.Err()
}
