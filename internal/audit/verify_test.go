package audit_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func openChain(t *testing.T, b storetest.Backend) interface {
	store.Store
	store.ChainReader
} {
	t.Helper()
	st, err := store.OpenChain(context.Background(), b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func record(i int) store.Record {
	return store.Record{Kind: store.KindPRDecision, DeliveryID: fmt.Sprintf("d%d", i), Installation: 9,
		Repository: "o/r", PR: 7, SHA: fmt.Sprintf("%040d", i), Actor: "alice", Outcome: "success",
		Facts:    []byte(fmt.Sprintf(`{"i":%d,"reviews":[{"user":"bob","state":"APPROVED"}]}`, i)),
		Decision: []byte(`{"outcome":"success","title":"ok","rules":[]}`)}
}

// appendN appends n records and returns their hashes by sequence number.
func appendN(t *testing.T, st store.Store, n int) map[int64]string {
	t.Helper()
	hashes := map[int64]string{}
	for i := 1; i <= n; i++ {
		r, err := st.Append(context.Background(), record(i))
		if err != nil {
			t.Fatal(err)
		}
		hashes[r.Seq] = r.Hash
	}
	return hashes
}

func TestVerifyDetectsTampering(t *testing.T) {
	changeDoc := map[string]string{
		"sqlite": `UPDATE audit_documents SET body = CAST(replace(CAST(body AS TEXT), 'APPROVED', 'APPROVEX') AS BLOB)
			WHERE digest = (SELECT facts_digest FROM audit_records WHERE seq = 6)`,
		"postgres": `UPDATE audit_documents SET body = convert_to(replace(convert_from(body, 'UTF8'), 'APPROVED', 'APPROVEX'), 'UTF8')
			WHERE digest = (SELECT facts_digest FROM audit_records WHERE seq = 6)`,
	}
	for _, tc := range []struct {
		name    string
		tamper  func(b storetest.Backend) []string
		head    int64 // verify against the hash of this record (0: no head)
		wantSeq int64
		want    string
	}{
		{"intact", func(storetest.Backend) []string { return nil }, 0, 0, ""},
		{"intact with an older head", func(storetest.Backend) []string { return nil }, 5, 0, ""},
		{"byte changed in a record", func(storetest.Backend) []string {
			return []string{`UPDATE audit_records SET actor = 'alicf' WHERE seq = 4`}
		}, 0, 4, audit.ContentChanged},
		{"outcome changed and rehashed", func(storetest.Backend) []string {
			return []string{`UPDATE audit_records SET outcome = 'failure' WHERE seq = 3`}
		}, 0, 3, audit.ContentChanged},
		{"byte changed in a document", func(b storetest.Backend) []string { return []string{changeDoc[b.Name]} }, 0, 6, audit.ContentChanged},
		{"document deleted", func(storetest.Backend) []string {
			return []string{`DELETE FROM audit_documents WHERE digest = (SELECT facts_digest FROM audit_records WHERE seq = 2)`}
		}, 0, 2, audit.ContentChanged},
		{"row deleted", func(storetest.Backend) []string {
			return []string{`DELETE FROM audit_records WHERE seq = 5`}
		}, 0, 5, audit.RecordMissing},
		{"first row deleted", func(storetest.Backend) []string {
			return []string{`DELETE FROM audit_records WHERE seq = 1`}
		}, 0, 1, audit.RecordMissing},
		{"two rows swapped", func(storetest.Backend) []string {
			return []string{
				`UPDATE audit_records SET seq = -7 WHERE seq = 7`,
				`UPDATE audit_records SET seq = 7 WHERE seq = 8`,
				`UPDATE audit_records SET seq = 8 WHERE seq = -7`,
			}
		}, 0, 7, audit.OrderChanged},
		{"last row removed, head given", func(storetest.Backend) []string {
			return []string{`DELETE FROM audit_records WHERE seq = 10`}
		}, 10, 10, audit.MissingTail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, b storetest.Backend) {
				st := openChain(t, b)
				hashes := appendN(t, st, 10)
				if stmts := tc.tamper(b); len(stmts) > 0 {
					b.DropAppendOnly(t)
					b.Exec(t, stmts...)
				}
				res, err := audit.Verify(context.Background(), st, hashes[tc.head])
				if tc.want == "" {
					if err != nil || res.Records != 10 || res.Head != hashes[10] {
						t.Fatalf("Verify = %+v, %v; want 10 records, head %s", res, err, hashes[10])
					}
					return
				}
				var ce *audit.ChainError
				if !errors.As(err, &ce) {
					t.Fatalf("Verify = %+v, %v; want a ChainError", res, err)
				}
				if ce.Seq != tc.wantSeq || ce.Problem != tc.want {
					t.Fatalf("Verify: %v; want record %d: %s", ce, tc.wantSeq, tc.want)
				}
			})
		})
	}
}

// TestVerifyWithoutHeadMissesTruncation documents why --head exists: removing the last
// record leaves a chain that is valid on its own.
func TestVerifyWithoutHeadMissesTruncation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := openChain(t, b)
		appendN(t, st, 3)
		b.DropAppendOnly(t)
		b.Exec(t, `DELETE FROM audit_records WHERE seq = 3`)
		if res, err := audit.Verify(context.Background(), st, ""); err != nil || res.Records != 2 {
			t.Fatalf("Verify = %+v, %v; want 2 records", res, err)
		}
	})
}
