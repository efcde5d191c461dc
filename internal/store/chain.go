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
	b := make([]byte, 0, 512)
	b = append(b, canonicalHeader...)
	field := func(name, value string) {
		b = append(b, name...)
		b = append(b, '=')
		b = strconv.AppendInt(b, int64(len(value)), 10)
		b = append(b, ':')
		b = append(b, value...)
		b = append(b, '\n')
	}
	field("seq", strconv.FormatInt(r.Seq, 10))
	field("id", r.ID)
	field("recorded_at", FormatTime(r.RecordedAt))
	field("kind", string(r.Kind))
	field("delivery_id", r.DeliveryID)
	field("installation", strconv.FormatInt(r.Installation, 10))
	field("repository", r.Repository)
	field("pr", strconv.Itoa(r.PR))
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

// FormatTime writes t as the hash and the database see it.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a time written by FormatTime.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeFormat, s) }
