package audit

import (
	"context"
	"fmt"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// TestVerifyFastAccepts checks that the encodings the database renders are the ones Go
// builds, so a clean chain verifies on the fast path (no fallback).
func TestVerifyFastAccepts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st, err := store.OpenChain(context.Background(), b.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for i := 1; i <= 30; i++ {
			r := store.Record{Kind: store.KindPRDecision, DeliveryID: fmt.Sprintf("d%d", i), Installation: 9,
				Repository: "o/r", PR: i, SHA: fmt.Sprintf("%040d", i), Actor: "älice ✓", Outcome: "success",
				Subject: "line\nbreak=:", Decision: []byte(`{"outcome":"success"}`)}
			if i%3 != 0 {
				r.Facts = []byte(fmt.Sprintf(`{"i":%d}`, i))
			}
			if _, err := st.Append(context.Background(), r); err != nil {
				t.Fatal(err)
			}
		}
		_, headHash, err := st.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cs := st.(store.CanonicalScanner)
		docs := make(chan docsResult, 1)
		bad, good, err := badDocuments(context.Background(), st)
		docs <- docsResult{bad, good, err}
		res, _, err := verifyFast(context.Background(), cs, headHash, docs)
		if err != nil || res.Records != 30 || res.HeadSeq != 30 || res.Head != headHash {
			t.Fatalf("verifyFast = %+v, %v", res, err)
		}
		slow, err := verifyChain(context.Background(), st, headHash, nil)
		if err != nil || slow != res {
			t.Fatalf("verifyChain = %+v, %v; fast %+v", slow, err, res)
		}
	})
}
