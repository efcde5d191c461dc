package storetest

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// ForgeAppend INSERTs r after the chain's head straight into the database, as a script
// with write access could: sequence number, prev_hash and hash computed exactly as the
// app computes them (a correct SHA-256 chain), but no signature, because the script does
// not hold the app's key. It returns the record as inserted.
func (b Backend) ForgeAppend(t testing.TB, r store.Record) store.Record {
	t.Helper()
	db := b.Raw(t)
	ctx := context.Background()
	var at string
	r.Seq, r.PrevHash = 0, store.GenesisHash
	err := db.QueryRowContext(ctx, `SELECT seq, hash, recorded_at FROM audit_records ORDER BY seq DESC LIMIT 1`).Scan(&r.Seq, &r.PrevHash, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("forge: read head: %v", err)
	}
	r.Seq++
	r.ID = "forged-" + time.Now().Format("150405.000000000")
	r.RecordedAt = time.Now().UTC().Truncate(time.Microsecond)
	if last, err := store.ParseTime(at); err == nil && r.RecordedAt.Before(last) {
		r.RecordedAt = last
	}
	fd, dd := store.DocumentDigest(r.Facts), store.DocumentDigest(r.Decision)
	r.Hash = store.ComputeHash(r, fd, dd)
	b.exec(t, db, `INSERT INTO audit_documents (digest, body) SELECT ?, ? WHERE ? <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents WHERE digest = ?)`,
		fd, []byte(r.Facts), fd, fd)
	b.exec(t, db, `INSERT INTO audit_documents (digest, body) SELECT ?, ? WHERE ? <> '' AND NOT EXISTS (SELECT 1 FROM audit_documents WHERE digest = ?)`,
		dd, []byte(r.Decision), dd, dd)
	b.exec(t, db, `INSERT INTO audit_records (seq, id, recorded_at, kind, delivery_id, installation, repository, pr, sha,
		subject, actor, outcome, policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest,
		decision_digest, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.ID, store.FormatTime(r.RecordedAt), string(r.Kind), r.DeliveryID, r.Installation, r.Repository, r.PR, r.SHA,
		r.Subject, r.Actor, r.Outcome, r.PolicyDigest, r.PolicySource.Repo, r.PolicySource.Path, r.PolicySource.Ref,
		r.PolicySource.BlobSHA, fd, dd, r.PrevHash, r.Hash)
	return r
}

// exec runs q with "?" placeholders on either backend.
func (b Backend) exec(t testing.TB, db *sql.DB, q string, args ...any) {
	t.Helper()
	if b.Name == "postgres" {
		var sb strings.Builder
		n := 0
		for _, c := range q {
			if c == '?' {
				n++
				sb.WriteString("$" + itoa(n))
				continue
			}
			sb.WriteRune(c)
		}
		q = sb.String()
		// PostgreSQL infers "?" <> '' as text, and the body column is bytea.
		q = strings.Replace(q, "SELECT $1, $2", "SELECT $1::text, $2::bytea", 1)
		q = strings.ReplaceAll(q, "WHERE $3 <> ''", "WHERE $3::text <> ''")
		q = strings.ReplaceAll(q, "digest = $4", "digest = $4::text")
	}
	if _, err := db.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("forge on %s: %v", b.Name, err)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
