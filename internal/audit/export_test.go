package audit_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func TestExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openChain(t, b)
		appendN(t, st, 5)
		other := record(99)
		other.Repository, other.Kind, other.Facts = "o/other", store.KindMerge, []byte(`{"html":"<a>&amp;</a>","u":"\u00e9"}`)
		if _, err := st.Append(ctx, other); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q    audit.ExportQuery
			rows int64
		}{
			{audit.ExportQuery{Format: "csv"}, 6},
			{audit.ExportQuery{Format: "jsonl"}, 6},
			{audit.ExportQuery{Format: "csv", Repo: "o/r"}, 5},
			{audit.ExportQuery{Format: "jsonl", Kinds: []store.Kind{store.KindMerge}}, 1},
		} {
			t.Run(fmt.Sprintf("%s %s %v", tc.q.Format, tc.q.Repo, tc.q.Kinds), func(t *testing.T) {
				var buf bytes.Buffer
				m, err := audit.Export(ctx, st, &buf, tc.q, "test")
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(buf.Bytes())
				if m.RowCount != tc.rows || m.SHA256 != hex.EncodeToString(sum[:]) || m.HeadSeq != 6 {
					t.Fatalf("manifest %+v; want %d rows, sha256 %x, head 6", m, tc.rows, sum)
				}
				var rows []map[string]string
				if tc.q.Format == "csv" {
					recs, err := csv.NewReader(&buf).ReadAll()
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range recs[1:] {
						row := map[string]string{}
						for i, col := range recs[0] {
							row[col] = r[i]
						}
						rows = append(rows, row)
					}
				} else {
					for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
						var raw map[string]any
						if err := json.Unmarshal([]byte(line), &raw); err != nil {
							t.Fatalf("%s: %v", line, err)
						}
						row := map[string]string{}
						for k, v := range raw {
							row[k] = fmt.Sprint(v)
						}
						rows = append(rows, row)
					}
				}
				if int64(len(rows)) != tc.rows {
					t.Fatalf("%d rows in the output, manifest says %d", len(rows), tc.rows)
				}
				for _, row := range rows {
					auditorCheck(t, row)
				}
			})
		}
	})
}

// auditorCheck re-derives a row's hash the way docs/audit.md tells an outsider to,
// without the store package: if the documentation and the code drift, this fails.
func auditorCheck(t *testing.T, row map[string]string) {
	t.Helper()
	for _, d := range []string{"facts", "decision"} {
		want := ""
		if row[d] != "" {
			s := sha256.Sum256([]byte(row[d]))
			want = hex.EncodeToString(s[:])
		}
		if row[d+"_sha256"] != want {
			t.Fatalf("seq %s: %s_sha256 %s, sha256 of the exported document %s", row["seq"], d, row[d+"_sha256"], want)
		}
	}
	var b strings.Builder
	b.WriteString("foureyes-audit-v1\n")
	for _, f := range []string{"seq", "id", "recorded_at", "kind", "delivery_id", "installation", "repository", "pr",
		"sha", "subject", "actor", "outcome", "policy_digest", "policy_repo", "policy_path", "policy_ref",
		"policy_blob_sha", "facts_sha256", "decision_sha256", "prev_hash"} {
		b.WriteString(f + "=" + strconv.Itoa(len(row[f])) + ":" + row[f] + "\n")
	}
	sum := sha256.Sum256([]byte(b.String()))
	if got := hex.EncodeToString(sum[:]); got != row["hash"] {
		t.Fatalf("seq %s: documented encoding gives %s, stored hash %s", row["seq"], got, row["hash"])
	}
}

func TestTrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		st := openChain(t, b)
		for _, r := range []store.Record{
			{Kind: store.KindPush, Repository: "o/r", PR: 7, SHA: "h1", Actor: "alice"}, // 1
			{Kind: store.KindPRDecision, Repository: "o/r", PR: 7, SHA: "h1", Outcome: "success", // 2
				Decision: []byte(`{"outcome":"success","title":"approved","rules":[{"name":"review","status":"pass","reason":"bob approved","requirements":[{"kind":"approval","status":"pass","reason":"bob"}]}]}`)},
			{Kind: store.KindPRDecision, Repository: "o/r", PR: 8, SHA: "x1", Outcome: "failure"},         // 3 another PR
			{Kind: store.KindMerge, Repository: "o/r", PR: 7, SHA: "m1", Actor: "bob"},                    // 4
			{Kind: store.KindDeploymentDecision, Repository: "o/r", SHA: "m1", Subject: "run:1/env:prod"}, // 5
			{Kind: store.KindDeploymentEvent, Repository: "o/r", SHA: "m1", Outcome: "success"},           // 6
			{Kind: store.KindDeploymentEvent, Repository: "o/r", SHA: "zz", Outcome: "success"},           // 7 another SHA
		} {
			if _, err := st.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		for _, tc := range []struct {
			q    audit.TraceQuery
			want string
		}{
			{audit.TraceQuery{Repo: "o/r", PR: 7}, "[1 2 4 5 6]"},
			{audit.TraceQuery{Repo: "o/r", SHA: "m1"}, "[4 5 6]"},
			{audit.TraceQuery{Repo: "o/x", PR: 7}, "[]"},
		} {
			recs, err := audit.Trace(ctx, st, tc.q)
			if err != nil {
				t.Fatal(err)
			}
			var seqs []int64
			for _, r := range recs {
				seqs = append(seqs, r.Seq)
			}
			if got := fmt.Sprint(seqs); got != tc.want && !(tc.want == "[]" && len(seqs) == 0) {
				t.Errorf("Trace(%+v) = %s, want %s", tc.q, got, tc.want)
			}
			if tc.q.PR == 7 && tc.q.Repo == "o/r" {
				var out bytes.Buffer
				if err := audit.WriteTrace(&out, recs); err != nil {
					t.Fatal(err)
				}
				for _, want := range []string{"rule review: pass (bob approved)", "approval: pass (bob)", "merge", "deployment_event"} {
					if !strings.Contains(out.String(), want) {
						t.Errorf("trace output lacks %q:\n%s", want, out.String())
					}
				}
			}
		}
	})
}
