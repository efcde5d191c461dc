package store_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// Regression tests of issue #18 point 8: the audit log could be forged by anyone who can
// INSERT into the database.

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// openSigned opens a store that signs with priv, as the server does.
func openSigned(t *testing.T, b storetest.Backend, priv ed25519.PrivateKey) store.Store {
	t.Helper()
	st := open(t, b)
	st.(store.KeyHolder).SetSigningKey(priv)
	return st
}

func verifyWith(t *testing.T, b storetest.Backend, o audit.Options) (audit.Result, error) {
	t.Helper()
	st, err := store.OpenChain(context.Background(), b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	return audit.VerifyWith(context.Background(), st, o)
}

func wantChainError(t *testing.T, err error, seq int64, problem string) {
	t.Helper()
	var ce *audit.ChainError
	if !errors.As(err, &ce) {
		t.Fatalf("verify: %v, want a chain error %q at record %d", err, problem, seq)
	}
	if ce.Seq != seq || ce.Problem != problem {
		t.Fatalf("verify: %v, want %q at record %d", ce, problem, seq)
	}
}

func appendSome(t *testing.T, st store.Store, n int) []store.Record {
	t.Helper()
	var out []store.Record
	for i := 0; i < n; i++ {
		r, err := st.Append(context.Background(), store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 1,
			SHA: "s1", Outcome: "failure", Facts: []byte(`{"n":` + string(rune('0'+i%10)) + `}`), Decision: []byte(`{"outcome":"failure"}`)})
		must(t, err)
		out = append(out, r)
	}
	return out
}

// The attack: a script INSERTs a `merge pass` record with a correct SHA-256 chain.
// Before signatures, audit verify accepted it.
func TestForgedMergePassRecordDetected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		priv := newKey(t)
		st := openSigned(t, b, priv)
		appendSome(t, st, 3)
		if _, err := verifyWith(t, b, audit.Options{PublicKey: priv.Public().(ed25519.PublicKey)}); err != nil {
			t.Fatalf("the app's own log does not verify: %v", err)
		}
		forged := b.ForgeAppend(t, store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 1, SHA: "m1",
			Actor: "mallory", Outcome: "pass", Facts: []byte(`{"head_sha":"s1"}`)})

		// The plain chain still verifies: that was the hole.
		if _, err := verifyWith(t, b, audit.Options{}); err != nil && !strings.Contains(err.Error(), audit.NotSigned) {
			t.Fatalf("unexpected failure: %v", err)
		}
		// With the published key, and even without it (the log's own key), verify names it.
		_, err := verifyWith(t, b, audit.Options{PublicKey: priv.Public().(ed25519.PublicKey)})
		wantChainError(t, err, forged.Seq, audit.NotSigned)
		_, err = verifyWith(t, b, audit.Options{})
		wantChainError(t, err, forged.Seq, audit.NotSigned)

		// A decision reading it refuses it.
		got, err := st.Latest(ctx, store.Filter{Repo: "o/r", PR: 1, Kinds: []store.Kind{store.KindMerge}})
		must(t, err)
		if err := st.VerifyRecord(ctx, got); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("VerifyRecord of the forged record: %v, want ErrTampered", err)
		}
		// The app does not sign over it: its next append is refused.
		if _, err := st.Append(ctx, store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 2}); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("append after a forged head: %v, want ErrTampered", err)
		}
	})
}

// A forged signature row (a script cannot make a valid one) is reported too.
func TestForgedSignatureDetected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		priv := newKey(t)
		st := openSigned(t, b, priv)
		appendSome(t, st, 2)
		forged := b.ForgeAppend(t, store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 1, Outcome: "pass"})
		// Signed properly, but with the forger's own key: the log then names two keys.
		b.Exec(t, insertSignatureSQL(b, forged, newKey(t)))
		_, err := verifyWith(t, b, audit.Options{PublicKey: priv.Public().(ed25519.PublicKey)})
		wantChainError(t, err, forged.Seq, audit.BadSignature)
		_, err = verifyWith(t, b, audit.Options{})
		wantChainError(t, err, forged.Seq, audit.BadSignature)
	})
}

// A deployment gate answering from a stored decision re-checks it: a forged "approved"
// decision is refused.
func TestForgedDeploymentDecisionRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openSigned(t, b, newKey(t))
		appendSome(t, st, 2)
		b.ForgeAppend(t, store.Record{Kind: store.KindDeploymentDecision, Repository: "o/r", SHA: "m1",
			Subject: "run:9/env:production", Outcome: "approved", Decision: []byte(`{"state":"approved"}`)})
		rec, err := st.Latest(ctx, store.Filter{Repo: "o/r", Subject: "run:9/env:production", Kinds: []store.Kind{store.KindDeploymentDecision}})
		must(t, err)
		if err := st.VerifyRecord(ctx, rec); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("VerifyRecord: %v, want ErrTampered", err)
		}
	})
}

// Every genuine record verifies, those in the middle of a commit (covered by the
// commit's signature through the chain) included.
func TestGenuineRecordsVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openSigned(t, b, newKey(t))
		recs := make(chan store.Record, 50)
		errs := make(chan error, 50)
		for i := 0; i < 50; i++ {
			go func() {
				r, err := st.Append(ctx, store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: i, Facts: []byte(`{"i":1}`)})
				recs <- r
				errs <- err
			}()
		}
		for i := 0; i < 50; i++ {
			must(t, <-errs)
			r := <-recs
			got, err := st.Latest(ctx, store.Filter{Repo: "o/r", PR: r.PR})
			must(t, err)
			if err := st.VerifyRecord(ctx, got); err != nil {
				t.Fatalf("record %d: %v", got.Seq, err)
			}
		}
		res, err := verifyWith(t, b, audit.Options{})
		must(t, err)
		if res.Signatures == 0 || res.SignedThrough != res.HeadSeq {
			t.Fatalf("result %+v: want signatures through the head", res)
		}
	})
}

// On SQLite, INSERT OR REPLACE deleted the last record without firing the no-delete
// trigger and put another in its place; on PostgreSQL the equivalent is ON CONFLICT DO
// UPDATE.
func TestInsertOrReplaceRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := openSigned(t, b, newKey(t))
		recs := appendSome(t, st, 2)
		keyed, err := st.Append(context.Background(), store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 1, Outcome: "fail", FactKey: "k1"})
		must(t, err)
		last := keyed
		_ = recs
		db := b.Raw(t)
		var stmts []string
		if b.Name == "sqlite" {
			stmts = []string{
				`INSERT OR REPLACE INTO audit_records (seq, id, recorded_at, kind, delivery_id, installation, repository, pr, sha, subject, actor, outcome, policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash) SELECT seq, id, recorded_at, 'merge', delivery_id, installation, repository, pr, sha, subject, actor, 'pass', policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash FROM audit_records WHERE seq = 2`,
				`REPLACE INTO audit_records (seq, id, recorded_at, kind, delivery_id, installation, repository, pr, sha, subject, actor, outcome, policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash) SELECT seq, id, recorded_at, kind, delivery_id, installation, repository, pr, sha, subject, actor, 'pass', policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash FROM audit_records WHERE seq = 2`,
				`INSERT OR REPLACE INTO audit_documents (digest, body) SELECT digest, '{"outcome":"pass"}' FROM audit_documents`,
				// A new sequence number but the fact key of record 1: REPLACE would delete record 1.
				`INSERT OR REPLACE INTO audit_records SELECT 99, 'new-id', recorded_at, kind, delivery_id, installation, repository, pr, sha, subject, actor, 'pass', policy_digest, policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash, 'k1' FROM audit_records WHERE seq = 2`,
				`INSERT OR REPLACE INTO audit_signatures SELECT seq, hash, public_key, 'AAAA' FROM audit_signatures`,
			}
		} else {
			stmts = []string{
				`INSERT INTO audit_records SELECT * FROM audit_records WHERE seq = 2 ON CONFLICT (seq) DO UPDATE SET outcome = 'pass'`,
				`INSERT INTO audit_documents SELECT * FROM audit_documents ON CONFLICT (digest) DO UPDATE SET body = '\x7b7d'`,
				`INSERT INTO audit_signatures SELECT * FROM audit_signatures ON CONFLICT (seq) DO UPDATE SET signature = 'AAAA'`,
			}
		}
		for _, s := range stmts {
			_, err := db.Exec(s)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want refused as append-only", s, err)
			}
		}
		got, err := st.Latest(context.Background(), store.Filter{Repo: "o/r"})
		must(t, err)
		if got.Hash != last.Hash || got.Outcome != last.Outcome {
			t.Fatalf("the last record changed: %+v", got)
		}
		if _, err := verifyWith(t, b, audit.Options{}); err != nil {
			t.Fatalf("verify after refused replaces: %v", err)
		}
	})
}

// Pushes decided independence from a table anyone with write access could edit; they
// are now chained records, re-checked when read.
func TestDeletedPushRowCannotClearPusher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openSigned(t, b, newKey(t))
		p := store.Push{Repo: "o/r", Ref: "feature", PR: 3, Before: "a", After: "b", Pusher: "bob", DeliveryID: "d1", At: time.Now()}
		must(t, st.RecordPush(ctx, p))
		must(t, st.RecordPush(ctx, p)) // a redelivery appends nothing
		b.Exec(t, `DELETE FROM pushes`)
		got, err := st.ListPushes(ctx, "o/r", 3, "feature")
		must(t, err)
		if len(got) != 1 || got[0].Pusher != "bob" || got[0].Ref != "feature" || got[0].Before != "a" {
			t.Fatalf("pushes = %+v, want bob's one push", got)
		}
		// Deleting the push record is refused; editing it (triggers dropped) is detected.
		if _, err := b.Raw(t).Exec(`DELETE FROM audit_records WHERE kind = 'push'`); err == nil {
			t.Fatal("deleting a push record was allowed")
		}
		b.DropAppendOnly(t)
		b.Exec(t, `UPDATE audit_records SET actor = 'carol' WHERE kind = 'push'`)
		if _, err := st.ListPushes(ctx, "o/r", 3, "feature"); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("ListPushes after the pusher was changed: %v, want ErrTampered", err)
		}
	})
}

// A history rewritten after a checkpoint was written outside the database is detected
// without the auditor having noted a head: here the tail is removed with its
// signatures (an owner dropping the triggers), which the chain alone cannot show.
func TestRewriteAfterCheckpointDetected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		priv := newKey(t)
		st := openSigned(t, b, priv)
		appendSome(t, st, 5)
		var logs bytes.Buffer
		cp := &audit.Checkpointer{Store: st.(store.ChainReader), Key: priv, Interval: time.Hour,
			Sinks: []audit.CheckpointSink{audit.LogSink{Logger: zerolog.New(&logs)}}}
		wrote, err := cp.Once(ctx)
		must(t, err)
		if !wrote {
			t.Fatal("no checkpoint written")
		}
		cps, err := audit.ReadCheckpoints(&logs)
		must(t, err)
		pub := priv.Public().(ed25519.PublicKey)
		if _, err := verifyWith(t, b, audit.Options{PublicKey: pub, Checkpoints: cps}); err != nil {
			t.Fatalf("verify with the checkpoint before tampering: %v", err)
		}
		b.DropAppendOnly(t)
		b.Exec(t, `DELETE FROM audit_signatures WHERE seq >= 4`, `DELETE FROM audit_records WHERE seq >= 4`)
		if _, err := verifyWith(t, b, audit.Options{PublicKey: pub}); err != nil {
			t.Fatalf("without the checkpoint the truncation is invisible (expected), got %v", err)
		}
		_, err = verifyWith(t, b, audit.Options{PublicKey: pub, Checkpoints: cps})
		wantChainError(t, err, 4, audit.MissingTail)

		// A rewritten record before the checkpoint, chain recomputed: the checkpoint's
		// hash no longer matches.
		b.Exec(t, `UPDATE audit_records SET outcome = 'pass' WHERE seq = 3`)
		_, err = verifyWith(t, b, audit.Options{PublicKey: pub, Checkpoints: cps})
		var ce *audit.ChainError
		if !errors.As(err, &ce) {
			t.Fatalf("verify after a rewrite: %v", err)
		}
	})
}

// insertSignatureSQL is a valid signature of r by key, as a forger with their own key
// could insert.
func insertSignatureSQL(b storetest.Backend, r store.Record, key ed25519.PrivateKey) string {
	pub := signing.PublicKeyText(key.Public().(ed25519.PublicKey))
	sig := signing.Sign(key, signing.RecordMessage(r.Seq, r.Hash))
	return `INSERT INTO audit_signatures (seq, hash, public_key, signature) VALUES (` + strconv.FormatInt(r.Seq, 10) +
		`, '` + r.Hash + `', '` + pub + `', '` + sig + `')`
}

// A record a script INSERTs into a new store before the app's first append is not
// adopted by the app's first signature (only records from before signing existed are).
func TestForgedFirstRecordNotAdopted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openSigned(t, b, newKey(t))
		forged := b.ForgeAppend(t, store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 1, Outcome: "pass"})
		got, err := st.Latest(ctx, store.Filter{Repo: "o/r"})
		must(t, err)
		if err := st.VerifyRecord(ctx, got); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("VerifyRecord of forged record %d: %v, want ErrTampered", forged.Seq, err)
		}
		if _, err := st.Append(ctx, store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 2}); !errors.Is(err, store.ErrTampered) {
			t.Fatalf("first append after a forged first record: %v, want ErrTampered", err)
		}
	})
}

// A log written before signing existed is adopted by the first signed commit: its
// records verify, and audit verify passes with the key.
func TestUnsignedLogAdoptedAtUpgrade(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		appendSome(t, st, 3)
		// As if these three were written before migration 00002.
		b.Exec(t, `INSERT INTO audit_unsigned_prefix (seq) VALUES (3)`)
		b.DropAppendOnly(t)
		b.Exec(t, `DELETE FROM audit_unsigned_prefix WHERE seq = 0`)
		priv := newKey(t)
		st.(store.KeyHolder).SetSigningKey(priv)
		if _, err := st.Append(ctx, store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 9}); err != nil {
			t.Fatalf("first signed append on an old log: %v", err)
		}
		if _, err := verifyWith(t, b, audit.Options{PublicKey: priv.Public().(ed25519.PublicKey)}); err != nil {
			t.Fatalf("verify of an adopted log: %v", err)
		}
	})
}
