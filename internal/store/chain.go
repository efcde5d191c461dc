package store

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// GenesisHash is the PrevHash of the first record: 64 zeros, so every record has a
// 64-character predecessor and no record can pretend to start a chain elsewhere.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeFormat is how RecordedAt is written into the hash and stored: UTC with exactly six
// fractional digits, because PostgreSQL keeps microseconds and text of fixed width sorts
// in time order.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// canonicalHeader starts every canonical encoding; a new encoding gets a new version.
const canonicalHeader = "foureyes-audit-v1\n"

// DocumentDigest is the lower-case hex SHA-256 of a Facts or Decision document, or ""
// for an empty one. The chain covers documents through these digests.
func DocumentDigest(doc []byte) string {
	if len(doc) == 0 {
		return ""
	}
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// Canonical is the byte string a record's hash is computed over, given the digests of
// its documents. docs/audit.md specifies it for auditors who re-verify independently:
// the header line, then for every field in this fixed order "name=<len>:<value>\n",
// where <len> is the decimal byte length of the UTF-8 value. Length prefixes make the
// encoding unambiguous whatever the values contain.
func Canonical(r Record, factsDigest, decisionDigest string) []byte {
	return AppendCanonical(make([]byte, 0, 512), r, factsDigest, decisionDigest)
}

// AppendCanonical appends Canonical(r, factsDigest, decisionDigest) to b.
func AppendCanonical(b []byte, r Record, factsDigest, decisionDigest string) []byte {
	b = append(b, canonicalHeader...)
	field := func(name, value string) {
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendInt(b, int64(len(value)), 10)
		b = append(b, ':')
		b = append(b, value...)
		b = append(b, '\n')
	}
	// Numbers and the time are formatted into num without allocating.
	var num [32]byte
	intField := func(name string, v int64) {
		n := strconv.AppendInt(num[:0], v, 10)
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendInt(b, int64(len(n)), 10)
		b = append(b, ':')
		b = append(b, n...)
		b = append(b, '\n')
	}
	intField("seq", r.Seq)
	field("id", r.ID)
	t := r.RecordedAt.UTC().AppendFormat(num[:0], TimeFormat)
	b = append(b, "recorded_at="...)
	b = strconv.AppendInt(b, int64(len(t)), 10)
	b = append(b, ':')
	b = append(b, t...)
	b = append(b, '\n')
	field("kind", string(r.Kind))
	field("delivery_id", r.DeliveryID)
	intField("installation", r.Installation)
	field("repository", r.Repository)
	intField("pr", int64(r.PR))
	field("sha", r.SHA)
	field("subject", r.Subject)
	field("actor", r.Actor)
	field("outcome", r.Outcome)
	field("policy_digest", r.PolicyDigest)
	field("policy_repo", r.PolicySource.Repo)
	field("policy_path", r.PolicySource.Path)
	field("policy_ref", r.PolicySource.Ref)
	field("policy_blob_sha", r.PolicySource.BlobSHA)
	field("facts_sha256", factsDigest)
	field("decision_sha256", decisionDigest)
	field("prev_hash", r.PrevHash)
	return b
}

// ComputeHash is the lower-case hex SHA-256 of Canonical.
func ComputeHash(r Record, factsDigest, decisionDigest string) string {
	sum := sha256.Sum256(Canonical(r, factsDigest, decisionDigest))
	return hex.EncodeToString(sum[:])
}

// Hasher computes record hashes like ComputeHash with a buffer it reuses, for
// verifying many records. The zero Hasher is ready; it is not safe for concurrent use.
type Hasher struct{ buf []byte }

// Matches reports whether ComputeHash(r, factsDigest, decisionDigest) == hash, without
// allocating.
func (h *Hasher) Matches(r *Record, factsDigest, decisionDigest, hash string) bool {
	if len(hash) != 2*sha256.Size {
		return false
	}
	h.buf = AppendCanonical(h.buf[:0], *r, factsDigest, decisionDigest)
	sum := sha256.Sum256(h.buf)
	var hx [2 * sha256.Size]byte
	hex.Encode(hx[:], sum[:])
	return string(hx[:]) == hash
}

// FormatTime writes t as the hash and the database see it.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a time written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }
