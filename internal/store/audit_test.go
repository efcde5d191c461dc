package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func verify(t *testing.T, b storetest.Backend) audit.Result {
	t.Helper()
	st, err := store.OpenChain(context.Background(), b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := audit.Verify(context.Background(), st, "")
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

func TestAppendAndQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		in := []store.Record{
			{Kind: store.KindPush, Repository: "o/r", PR: 1, SHA: "s1", Actor: "alice"},
			{Kind: store.KindPRDecision, Repository: "o/r", PR: 1, SHA: "s1", Outcome: "failure",
				Facts: []byte(`{ "a": 1 }`), Decision: []byte(`{"outcome":"failure"}`)},
			{Kind: store.KindMerge, Repository: "o/r", PR: 1, SHA: "m1", Actor: "bob"},
			{Kind: store.KindDeploymentDecision, Repository: "o/x", SHA: "m1", Subject: "run:1/env:prod", Outcome: "approved"},
		}
		before := time.Now().UTC().Add(-time.Second)
		var out []store.Record
		for _, r := range in {
			got, err := st.Append(ctx, r)
			must(t, err)
			out = append(out, got)
		}
		for i, r := range out {
			if r.Seq != int64(i+1) || r.ID == "" || r.Hash == "" || r.RecordedAt.Before(before) {
				t.Fatalf("record %d not completed: %+v", i, r)
			}
			wantPrev := store.GenesisHash
			if i > 0 {
				wantPrev = out[i-1].Hash
			}
			if r.PrevHash != wantPrev {
				t.Fatalf("record %d prev_hash %s, want %s", i, r.PrevHash, wantPrev)
			}
		}
		if string(out[1].Facts) != `{"a":1}` {
			t.Fatalf("facts stored as %s, want compacted", out[1].Facts)
		}
		var scanned []store.Record
		must(t, st.Scan(ctx, 2, func(r store.Record) error { scanned = append(scanned, r); return nil }))
		if len(scanned) != 3 || scanned[0].Seq != 2 || string(scanned[0].Decision) != `{"outcome":"failure"}` ||
			scanned[0].Hash != out[1].Hash || !scanned[0].RecordedAt.Equal(out[1].RecordedAt) {
			t.Fatalf("Scan from 2 = %+v", scanned)
		}
		for _, tc := range []struct {
			f    store.Filter
			want string
		}{
			{store.Filter{}, "[1 2 3 4]"},
			{store.Filter{Repo: "o/r", PR: 1}, "[1 2 3]"},
			{store.Filter{SHA: "m1"}, "[3 4]"},
			{store.Filter{Kinds: []store.Kind{store.KindMerge, store.KindPush}}, "[1 3]"},
			{store.Filter{Subject: "run:1/env:prod"}, "[4]"},
			{store.Filter{Since: out[3].RecordedAt.Add(time.Microsecond)}, "[]"},
			{store.Filter{Until: out[0].RecordedAt}, "[]"},
			{store.Filter{Since: out[0].RecordedAt, Until: out[3].RecordedAt.Add(time.Microsecond)}, "[1 2 3 4]"},
		} {
			var seqs []int64
			must(t, st.Query(ctx, tc.f, func(r store.Record) error { seqs = append(seqs, r.Seq); return nil }))
			if fmt.Sprint(seqs) != tc.want && !(tc.want == "[]" && seqs == nil) {
				t.Errorf("Query(%+v) = %v, want %s", tc.f, seqs, tc.want)
			}
		}
		l, err := st.Latest(ctx, store.Filter{Repo: "o/r", Kinds: []store.Kind{store.KindPRDecision, store.KindPush}})
		if err != nil || l.Seq != 2 || l.Outcome != "failure" {
			t.Fatalf("Latest = %+v, %v", l, err)
		}
		if _, err := st.Latest(ctx, store.Filter{Repo: "none"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("Latest(no match) = %v, want ErrNotFound", err)
		}
		for _, bad := range []store.Record{{Repository: "o/r"}, {Kind: store.KindPush, Facts: []byte(`{`)}} {
			if _, err := st.Append(ctx, bad); err == nil {
				t.Errorf("Append(%+v) accepted an invalid record", bad)
			}
		}
		if res := verify(t, b); res.Records != 4 || res.Head != out[3].Hash {
			t.Fatalf("verify = %+v", res)
		}
	})
}

func TestAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := open(t, b)
		_, err := st.Append(context.Background(), sampleRecord(1, 1))
		must(t, err)
		db := b.Raw(t)
		for _, q := range []string{
			`UPDATE audit_records SET actor = 'mallory'`,
			`DELETE FROM audit_records`,
			`UPDATE audit_documents SET body = body`,
			`DELETE FROM audit_documents`,
		} {
			_, err := db.Exec(q)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: err = %v, want refused as append-only", q, err)
			}
		}
		if b.Name == "postgres" {
			if _, err := db.Exec(`TRUNCATE audit_records`); err == nil {
				t.Error("TRUNCATE audit_records succeeded")
			}
			// The application role may only read and add audit records.
			var privs string
			must(t, db.QueryRow(`SELECT string_agg(privilege_type, ',' ORDER BY privilege_type)
				FROM information_schema.role_table_grants
				WHERE grantee = 'foureyes_app' AND table_schema = current_schema() AND table_name = 'audit_records'`).Scan(&privs))
			if privs != "INSERT,SELECT" {
				t.Errorf("foureyes_app on audit_records: %s, want INSERT,SELECT", privs)
			}
		}
	})
}

// TestDocumentsStoredOnce re-evaluates one PR 100 times with the same facts and
// decision: the documents are stored once, and the bytes per record are reported.
func TestDocumentsStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := open(t, b)
		facts := []byte(`{"pr":{"number":7,"author":"alice","title":"` + strings.Repeat("x", 2000) + `"},"reviews":[{"user":"bob","state":"APPROVED"}]}`)
		decision := []byte(`{"outcome":"success","title":"2 of 2 rules pass","rules":[{"name":"review","status":"pass","reason":"bob approved"}]}`)
		for i := range 100 {
			r := store.Record{Kind: store.KindPRDecision, DeliveryID: fmt.Sprintf("d%d", i), Installation: 1,
				Repository: "o/r", PR: 7, SHA: strings.Repeat("a", 40), Outcome: "success", PolicyDigest: strings.Repeat("b", 64),
				Facts: facts, Decision: decision}
			_, err := st.Append(ctx, r)
			must(t, err)
		}
		db := b.Raw(t)
		var docs int
		must(t, db.QueryRow(`SELECT count(*) FROM audit_documents`).Scan(&docs))
		if docs != 2 {
			t.Fatalf("%d documents stored for 100 identical evaluations, want 2", docs)
		}
		var recBytes, docBytes int64
		sizeQ := map[string][2]string{
			"sqlite": {`SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'audit_records')`,
				`SELECT sum(pgsize) FROM dbstat WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = 'audit_documents')`},
			"postgres": {`SELECT pg_total_relation_size('audit_records')`, `SELECT pg_total_relation_size('audit_documents')`},
		}[b.Name]
		if err := db.QueryRow(sizeQ[0]).Scan(&recBytes); err != nil {
			t.Logf("size query: %v", err)
		}
		if err := db.QueryRow(sizeQ[1]).Scan(&docBytes); err != nil {
			t.Logf("size query: %v", err)
		}
		var rowBytes int64
		must(t, db.QueryRow(`SELECT sum(length(id) + length(recorded_at) + length(kind) + length(delivery_id) + length(repository) +
			length(sha) + length(subject) + length(actor) + length(outcome) + length(policy_digest) + length(policy_repo) +
			length(policy_path) + length(policy_ref) + length(policy_blob_sha) + length(facts_digest) + length(decision_digest) +
			length(prev_hash) + length(hash) + 24) FROM audit_records`).Scan(&rowBytes))
		t.Logf("%s: 100 evaluations of one PR (facts %d B, decision %d B): record data %d B/record; "+
			"on disk: records+indexes %d B/record, documents %d B total (%d B/record amortised)",
			b.Name, len(facts), len(decision), rowBytes/100, recBytes/100, docBytes, docBytes/100)
		if bytesPer := rowBytes / 100; bytesPer > int64(len(facts)) {
			t.Fatalf("%d B per record: the facts are stored per record", bytesPer)
		}
	})
}

func TestConcurrentAppendersOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		st := open(t, b)
		const goroutines, each = 16, 100
		var wg sync.WaitGroup
		seqs := make(chan int64, goroutines*each)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					r, err := st.Append(context.Background(), sampleRecord(g, i))
					if err != nil {
						t.Error(err)
						return
					}
					seqs <- r.Seq
				}
			})
		}
		wg.Wait()
		close(seqs)
		seen := map[int64]bool{}
		for s := range seqs {
			if seen[s] {
				t.Fatalf("seq %d acknowledged twice", s)
			}
			seen[s] = true
		}
		if res := verify(t, b); res.Records != goroutines*each || len(seen) != goroutines*each {
			t.Fatalf("verified %d records, acknowledged %d; want %d", res.Records, len(seen), goroutines*each)
		}
	})
}

// TestConcurrentProcessesOneChain: three OS processes append 1,000 records each at once
// to one database; the result is one gap-free chain that verifies.
func TestConcurrentProcessesOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		open(t, b).Close() // migrate once up front
		const procs, each = 3, 1000
		var (
			mu  sync.Mutex
			all = map[int64]string{}
			wg  sync.WaitGroup
		)
		for range procs {
			c := startChild(t, b, "append", each/4, parEnv+"=4")
			wg.Go(func() {
				got := map[int64]string{}
				c.acks(t, got)
				mu.Lock()
				defer mu.Unlock()
				for s, id := range got {
					if _, dup := all[s]; dup {
						t.Errorf("seq %d acknowledged to two processes", s)
					}
					all[s] = id
				}
			})
		}
		wg.Wait()
		if len(all) != procs*each {
			t.Fatalf("%d acknowledged appends, want %d", len(all), procs*each)
		}
		if res := verify(t, b); res.Records != procs*each || res.HeadSeq != procs*each {
			t.Fatalf("verify = %+v, want %d records", res, procs*each)
		}
	})
}

// TestCrashKeepsAcknowledgedRecords kills an appending process with SIGKILL: the chain
// still verifies and every record it acknowledged is there.
func TestCrashKeepsAcknowledgedRecords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		open(t, b).Close()
		c := startChild(t, b, "append", 0, parEnv+"=8")
		acked := map[int64]string{}
		for len(acked) < 500 {
			seq, id, _ := strings.Cut(c.next(t), " ")
			var n int64
			fmt.Sscan(seq, &n)
			acked[n] = id
		}
		must(t, c.cmd.Process.Signal(syscall.SIGKILL))
		c.acks(t, acked) // acknowledgements printed before the kill landed
		_ = c.cmd.Wait()
		res := verify(t, b)
		st := open(t, b)
		stored := map[int64]string{}
		must(t, st.Scan(context.Background(), 1, func(r store.Record) error { stored[r.Seq] = r.ID; return nil }))
		for seq, id := range acked {
			if stored[seq] != id {
				t.Fatalf("acknowledged record %d (%s) lost after the crash: stored %q", seq, id, stored[seq])
			}
		}
		t.Logf("%s: %d acknowledged, %d in the verified chain after SIGKILL", b.Name, len(acked), res.Records)
	})
}
