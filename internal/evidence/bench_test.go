package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
)

// benchStore is a SQLite chain of n changes (push, decision, merge, deployment each),
// appended concurrently so group commit batches them as the server's workers do.
func benchStore(b *testing.B, n int) interface {
	store.Store
	store.ChainReader
} {
	b.Helper()
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(b.TempDir(), "foureyes.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	facts := json.RawMessage(`{"pull_request":{"title":"PAY-1 fix","author":"alice"},"reviews":[{"user":"bob","state":"APPROVED","commit_id":"h"}]}`)
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func(w int) {
			for i := w; i < n; i += 8 {
				sha := fmt.Sprintf("%040x", i)
				for _, r := range []store.Record{
					{Kind: store.KindPush, Repository: "acme/pay", PR: i + 1, SHA: "h" + sha[1:], Actor: "alice", DeliveryID: "p" + sha},
					{Kind: store.KindPRDecision, Repository: "acme/pay", PR: i + 1, SHA: "h" + sha[1:], Outcome: "pass", Facts: facts, Decision: json.RawMessage(fmt.Sprintf(`{"outcome":"pass","title":"%d","rules":[]}`, i))},
					{Kind: store.KindMerge, Repository: "acme/pay", PR: i + 1, SHA: sha, Actor: "bob", Outcome: "pass"},
					{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: sha, Subject: fmt.Sprintf("run:%d/env:production", i), Outcome: "approved"},
				} {
					if _, err := st.Append(ctx, r); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}(w)
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	return st
}

const benchChanges = 2500 // 10,000 records

func BenchmarkPopulationAndSample(b *testing.B) {
	st := benchStore(b, benchChanges)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := LoadPopulation(context.Background(), st, PopulationQuery{})
		if err != nil || p.Size != benchChanges {
			b.Fatalf("%d changes: %v", p.Size, err)
		}
		if _, err := Draw(p, SampleQuery{Size: 60, Seed: "s", Strata: AllStrata}); err != nil {
			b.Fatal(err)
		}
	}
}

// The worst case: a change at the start of the chain, so the package holds every record.
func BenchmarkWriteAndVerifyPackage(b *testing.B) {
	st := benchStore(b, benchChanges)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := WritePackage(context.Background(), &buf, st, ChangeQuery{Repo: "acme/pay", PR: 1}, PackageOptions{}); err != nil {
			b.Fatal(err)
		}
		res, err := VerifyPackage(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "")
		if err != nil || !res.OK() {
			b.Fatalf("%v %v", err, res.Problems)
		}
		b.ReportMetric(float64(buf.Len()), "package-bytes")
	}
}

func BenchmarkReport(b *testing.B) {
	st := benchStore(b, benchChanges)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteReport(context.Background(), io.Discard, st, ReportQuery{Format: "html"}); err != nil {
			b.Fatal(err)
		}
	}
}
