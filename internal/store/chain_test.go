package store_test

import (
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// TestCanonicalVector pins the canonical encoding and hash of one record: docs/audit.md
// publishes this vector so an auditor can test their own implementation against it.
func TestCanonicalVector(t *testing.T) {
	r := store.Record{
		Seq: 1, ID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
		RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC),
		Kind:       store.KindPRDecision, DeliveryID: "d-1", Installation: 42, Repository: "octo/app", PR: 7,
		SHA: "abc123", Actor: "alice", Outcome: "success", PolicyDigest: "p1",
		PolicySource: store.PolicySource{Repo: "octo/policy", Path: "foureyes.yml", Ref: "main", BlobSHA: "b1"},
		PrevHash:     store.GenesisHash,
	}
	facts, decision := []byte(`{"a":1}`), []byte(`{"outcome":"success"}`)
	for _, tc := range []struct {
		name, got, want string
	}{
		{"facts digest", store.DocumentDigest(facts), "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"},
		{"canonical", string(store.Canonical(r, store.DocumentDigest(facts), store.DocumentDigest(decision))), canonicalVector},
		{"hash", store.ComputeHash(r, store.DocumentDigest(facts), store.DocumentDigest(decision)), hashVector},
		{"empty document", store.DocumentDigest(nil), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.name, tc.got, tc.want)
		}
	}
}

const canonicalVector = "foureyes-audit-v1\n" +
	"seq=1:1\n" +
	"id=36:0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\n" +
	"recorded_at=27:2026-01-02T03:04:05.123456Z\n" +
	"kind=11:pr_decision\n" +
	"delivery_id=3:d-1\n" +
	"installation=2:42\n" +
	"repository=8:octo/app\n" +
	"pr=1:7\n" +
	"sha=6:abc123\n" +
	"subject=0:\n" +
	"actor=5:alice\n" +
	"outcome=7:success\n" +
	"policy_digest=2:p1\n" +
	"policy_repo=11:octo/policy\n" +
	"policy_path=12:foureyes.yml\n" +
	"policy_ref=4:main\n" +
	"policy_blob_sha=2:b1\n" +
	"facts_sha256=64:015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862\n" +
	"decision_sha256=64:3863ee0a9a320461c866f2b3b4b746e6acf6251770f062fec4136d31ff1c0f99\n" +
	"prev_hash=64:0000000000000000000000000000000000000000000000000000000000000000\n"

const hashVector = "e43e43ae918d62f8a8260a4bfe4c7571764575e9e03ca7c1700e3858924f53eb"
