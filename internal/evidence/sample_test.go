package evidence

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run with -update if intended):\n%s", name, got)
	}
}

// syntheticRecords is a period of 40 changes in 3 repositories: merges, a few direct
// pushes, violations, emergencies, deployments and weekend merges, at fixed times.
func syntheticRecords() []store.Record {
	var recs []store.Record
	seq := int64(0)
	add := func(r store.Record) {
		seq++
		r.Seq, r.Hash = seq, fmt.Sprintf("%064x", seq)
		recs = append(recs, r)
	}
	start := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC) // a Thursday
	repos := []string{"acme/payments", "acme/ledger", "other/tool"}
	for i := 1; i <= 40; i++ {
		repo := repos[i%3]
		at := start.Add(time.Duration(i) * 13 * time.Hour)
		sha := fmt.Sprintf("%040x", i*7919)
		add(store.Record{Kind: store.KindPRDecision, Repository: repo, PR: i, SHA: "head" + sha[4:], Outcome: "pass", RecordedAt: at.Add(-time.Hour)})
		if i%9 == 0 {
			add(store.Record{Kind: store.KindViolation, Repository: repo, Subject: "push:" + sha, SHA: sha, Actor: "root", Outcome: "violation", RecordedAt: at})
			continue
		}
		add(store.Record{Kind: store.KindMerge, Repository: repo, PR: i, SHA: sha, Actor: "bob", Outcome: "pass", RecordedAt: at})
		if i%7 == 0 {
			add(store.Record{Kind: store.KindViolation, Repository: repo, PR: i, SHA: sha, Outcome: "violation", RecordedAt: at})
		}
		if i%5 == 0 {
			add(store.Record{Kind: KindEmergency, Repository: repo, PR: i, RecordedAt: at.Add(-2 * time.Hour)})
		}
		if i%4 == 0 {
			add(store.Record{Kind: store.KindDeploymentDecision, Repository: repo, SHA: sha, Subject: "run:1/env:production", Outcome: "approved", RecordedAt: at.Add(30 * time.Hour)})
		}
	}
	return recs
}

// The sample is a pure function of the population and the seed: pinned by golden files
// for several seeds, sizes and strata.
func TestDrawGolden(t *testing.T) {
	recs := syntheticRecords()
	for _, tc := range []struct {
		name string
		pq   PopulationQuery
		sq   SampleQuery
	}{
		{"plain", PopulationQuery{}, SampleQuery{Size: 10, Seed: "fy2026-q4"}},
		{"strata", PopulationQuery{}, SampleQuery{Size: 12, Seed: "fy2026-q4", Strata: []string{"violation", "emergency", "weekend", "deployment"}}},
		{"other-seed", PopulationQuery{}, SampleQuery{Size: 12, Seed: "42", Strata: []string{"violation", "emergency", "weekend", "deployment"}}},
		{"repo-and-period", PopulationQuery{Repos: []string{"acme/payments"}, Since: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC),
			Until: time.Date(2026, 10, 20, 0, 0, 0, 0, time.UTC)}, SampleQuery{Size: 3, Seed: "x", Strata: []string{"emergency"}}},
		{"larger-than-population", PopulationQuery{Org: "other"}, SampleQuery{Size: 60, Seed: "x", Strata: []string{"violation"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := BuildPopulation(recs, tc.pq)
			p := Population{Query: tc.pq, Changes: changes, Size: len(changes), Digest: PopulationDigest(changes), HeadSeq: int64(len(recs)), HeadHash: recs[len(recs)-1].Hash}
			s, err := Draw(p, tc.sq)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Draw(p, tc.sq)
			var b1, b2 bytes.Buffer
			if err := WriteSample(&b1, s, p, "json"); err != nil {
				t.Fatal(err)
			}
			_ = WriteSample(&b2, again, p, "json")
			if !bytes.Equal(b1.Bytes(), b2.Bytes()) {
				t.Fatal("two draws with the same inputs differ")
			}
			golden(t, "sample-"+tc.name+".json", b1.Bytes())
			var csvOut bytes.Buffer
			if err := WriteSample(&csvOut, s, p, "csv"); err != nil {
				t.Fatal(err)
			}
			golden(t, "sample-"+tc.name+".csv", csvOut.Bytes())
			if want := min(tc.sq.Size, len(changes)); len(s.Changes) != want {
				t.Errorf("drew %d, want %d", len(s.Changes), want)
			}
		})
	}
}

func TestDrawStrataShare(t *testing.T) {
	changes := BuildPopulation(syntheticRecords(), PopulationQuery{})
	p := Population{Changes: changes, Digest: PopulationDigest(changes)}
	s, err := Draw(p, SampleQuery{Size: 10, Seed: "s", Strata: []string{"violation", "emergency"}})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, c := range s.Changes {
		counts[c.Reason]++
	}
	if counts["violation"] != 3 || counts["emergency"] != 2 || counts["random"] != 5 {
		t.Errorf("reasons %v, want 3 violation + 2 emergency (round-robin over 5 places) + 5 random", counts)
	}
	if _, err := Draw(p, SampleQuery{Size: 1, Strata: []string{"holiday"}}); err == nil {
		t.Error("an unknown stratum was accepted")
	}
}

// Same records appended to SQLite and to PostgreSQL give the same population digest and
// the same sample.
func TestSampleSameOnBothBackends(t *testing.T) {
	ctx := context.Background()
	results := map[string]string{}
	for _, name := range storetest.Names {
		t.Run(name, func(t *testing.T) {
			b := storetest.New(t, name)
			st, err := store.OpenChain(ctx, b.DSN)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			for _, r := range syntheticRecords() {
				r.Seq, r.Hash, r.RecordedAt = 0, "", time.Time{}
				if _, err := st.Append(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			p, err := LoadPopulation(ctx, st, PopulationQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if p.Size != 40 {
				t.Fatalf("population %d, want 40", p.Size)
			}
			s, err := Draw(p, SampleQuery{Size: 8, Seed: "both", Strata: AllStrata})
			if err != nil {
				t.Fatal(err)
			}
			got := p.Digest
			for _, c := range s.Changes {
				got += "|" + c.Key() + "|" + c.Reason
			}
			results[name] = got
		})
	}
	if len(results) == 2 && results["sqlite"] != results["postgres"] {
		t.Errorf("SQLite and PostgreSQL differ:\n%s\n%s", results["sqlite"], results["postgres"])
	}
}
