package signing

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"strconv"
)

// The first line of each signed message names what it is, so a signature over a record
// can never be presented as a checkpoint's, or the other way round.
const (
	recordDomain     = "foureyes-audit-record-signature-v1\n"
	checkpointDomain = "foureyes-audit-checkpoint-v1\n"
)

// RecordMessage is what the app signs when it commits records: the sequence number and
// hash of the last record of the commit. Through the chain, that signature covers every
// record before it.
func RecordMessage(seq int64, hash string) []byte {
	b := make([]byte, 0, len(recordDomain)+100)
	b = append(b, recordDomain...)
	b = append(b, "seq="...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "\nhash="...)
	b = append(b, hash...)
	return append(b, '\n')
}

// CheckpointMessage is what a checkpoint of the head, written outside the database, signs.
func CheckpointMessage(seq int64, hash, at string) []byte {
	b := make([]byte, 0, len(checkpointDomain)+140)
	b = append(b, checkpointDomain...)
	b = append(b, "seq="...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, "\nhash="...)
	b = append(b, hash...)
	b = append(b, "\nat="...)
	b = append(b, at...)
	return append(b, '\n')
}

// Sign returns the base64 signature of msg.
func Sign(priv ed25519.PrivateKey, msg []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg))
}

// ErrBadSignature is a signature that does not verify.
var ErrBadSignature = errors.New("signature does not verify")

// Verify checks a base64 signature of msg under pub.
func Verify(pub ed25519.PublicKey, msg []byte, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(pub) != ed25519.PublicKeySize || !ed25519.Verify(pub, msg, raw) {
		return ErrBadSignature
	}
	return nil
}
