package console_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/console"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// staticAuthorizer answers one access for everyone (benchmarks: no GitHub).
type staticAuthorizer struct{ a console.Access }

func (s staticAuthorizer) Access(context.Context, string) (console.Access, error) { return s.a, nil }

// benchStart is the first record's time; n records are spread over 347 days (30 s
// apart for 1,000,000), so a quarter holds about a quarter of them.
var benchStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// bulkLoad writes n synthetic records straight into the database (the triggers that keep
// the console's summaries run for each, as for an append). 100 repositories in 5 orgs,
// 200 actors; about 14% merges, 1% violations, 9% deployment decisions, 7% deployment
// events, the rest PR decisions and pushes. The chain is not valid: the console's
// queries do not verify it.
func bulkLoad(tb testing.TB, be storetest.Backend, n int) {
	tb.Helper()
	kind := `CASE WHEN i%100=0 THEN 'violation' WHEN i%7=0 THEN 'merge' WHEN i%11=0 THEN 'deployment_decision'
		WHEN i%13=0 THEN 'deployment_event' WHEN i%5=0 THEN 'push' ELSE 'pr_decision' END`
	outcome := `CASE WHEN i%100=0 THEN 'violation' WHEN i%11=0 AND i%7<>0 THEN (CASE WHEN i%3=0 THEN 'rejected' ELSE 'approved' END)
		WHEN i%13=0 AND i%7<>0 AND i%11<>0 THEN 'success' WHEN i%9=0 THEN 'fail' ELSE 'pass' END`
	cols := `seq, id, recorded_at, kind, delivery_id, installation, repository, pr, sha, subject, actor, outcome, policy_digest,
		policy_repo, policy_path, policy_ref, policy_blob_sha, facts_digest, decision_digest, prev_hash, hash`
	step := max(30_000_000/n, 1)
	var q string
	if be.Name == "postgres" {
		q = fmt.Sprintf(`INSERT INTO audit_records (%s)
		SELECT i, 'id-' || i, to_char(to_timestamp(%d + i*%d) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '.000000Z',
		%s, '', 1 + i%%5, 'org' || (i%%5) || '/repo' || (i%%100), i%%5000, lpad(to_hex(i), 40, '0'), '', 'user' || (i%%200),
		%s, CASE WHEN i%%100 = 99 THEN '' ELSE 'digest' END, '', '', '', '', '', '', '', 'h' || i
		FROM generate_series(1, %d) AS g(i)`, cols, benchStart.Unix(), step, kind, outcome, n)
	} else {
		q = fmt.Sprintf(`WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < %d)
		INSERT INTO audit_records (%s)
		SELECT i, 'id-' || i, strftime('%%Y-%%m-%%dT%%H:%%M:%%S', %d + i*%d, 'unixepoch') || '.000000Z',
		%s, '', 1 + i%%5, 'org' || (i%%5) || '/repo' || (i%%100), i%%5000, printf('%%040x', i), '', 'user' || (i%%200),
		%s, CASE WHEN i%%100 = 99 THEN '' ELSE 'digest' END, '', '', '', '', '', '', '', 'h' || i FROM g`, n, cols, benchStart.Unix(), step, kind, outcome)
	}
	start := time.Now()
	db := be.Raw(tb)
	exec := func(stmts ...string) {
		tb.Helper()
		for _, s := range stmts {
			if _, err := db.Exec(s); err != nil {
				tb.Fatalf("bulk load: %s: %v", s, err)
			}
		}
	}
	// A set-based load: indexes and triggers (the summaries', the guards') off, the rows, then the
	// summaries as migration 00008 backfills them and the indexes rebuilt. Reads are
	// what is measured; the triggers' cost per append is in BenchmarkAppend.
	list := `SELECT type || ' ' || name, sql FROM sqlite_master WHERE tbl_name = 'audit_records' AND type IN ('index', 'trigger') AND sql IS NOT NULL`
	if be.Name == "postgres" {
		list = `SELECT 'INDEX ' || indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_records' AND schemaname = current_schema()
			AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'`
	}
	rows, err := db.Query(list)
	if err != nil {
		tb.Fatal(err)
	}
	var names, defs []string
	for rows.Next() {
		var n, d string
		if err := rows.Scan(&n, &d); err != nil {
			tb.Fatal(err)
		}
		names, defs = append(names, n), append(defs, d)
	}
	rows.Close()
	for _, n := range names { // "index x" or "trigger y"
		exec(`DROP ` + n)
	}
	if be.Name == "postgres" {
		exec(`ALTER TABLE audit_records DISABLE TRIGGER USER`)
	}
	exec(q)
	noPolicy := `kind = 'pr_decision' AND policy_digest = '' AND outcome <> 'error'`
	exec(`INSERT INTO audit_daily (repository, day, kind, outcome, no_policy, n)
		SELECT repository, substr(recorded_at, 1, 10), kind, outcome, `+noPolicy+`, count(*) FROM audit_records GROUP BY 1, 2, 3, 4, 5`,
		`INSERT INTO audit_exceptions (seq, repository, recorded_at, exception)
		SELECT seq, repository, recorded_at, CASE kind WHEN 'violation' THEN 'violation' ELSE 'rejected' END FROM audit_records
		WHERE kind = 'violation' OR (kind = 'deployment_decision' AND outcome = 'rejected')`)
	exec(defs...)
	if be.Name == "postgres" {
		exec(`ALTER TABLE audit_records ENABLE TRIGGER USER`)
	}
	if be.Name == "postgres" {
		exec(`VACUUM ANALYZE`) // as autovacuum would: the visibility map makes index-only scans work
	} else {
		exec(`ANALYZE`)
	}
	tb.Logf("%s: loaded %d records in %v", be.Name, n, time.Since(start).Round(time.Millisecond))
}

// BenchmarkConsolePages renders the console's pages through its HTTP handler (session
// lookup, store queries, template) on a large log. FOUREYES_BENCH_RECORDS sets the
// size (default 100,000; docs/performance.md has 1,000,000).
func BenchmarkConsolePages(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("FOUREYES_BENCH_RECORDS")); err == nil && v > 0 {
		n = v
	}
	for _, name := range storetest.Names {
		b.Run(name, func(b *testing.B) {
			be := storetest.New(b, name)
			st, err := store.OpenChain(context.Background(), be.DSN)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			bulkLoad(b, be, n)
			now := benchStart.AddDate(0, 4, 15) // mid-May 2025: the default period is Q2
			orgs := []string{"org0", "org1", "org2", "org3", "org4"}
			for _, role := range []struct {
				name string
				a    console.Access
			}{
				{"auditor", console.Access{Role: console.RoleAuditor, Scope: store.Scope{Orgs: orgs}, NoteOrgs: orgs}},
				{"owner", console.Access{Role: console.RoleOwner, Scope: store.Scope{Orgs: orgs[1:2]}, NoteOrgs: orgs[1:2]}},
				{"maintainer", console.Access{Role: console.RoleMaintainer, Scope: store.Scope{Repos: []string{"org1/repo1", "org2/repo2", "org3/repo13"}}}},
			} {
				c, err := console.New(console.Config{PublicURL: "http://localhost", WebURL: "http://gh", V3APIURL: "http://gh/api/v3/",
					Store: st, Authorizer: staticAuthorizer{role.a}, Logger: zerolog.Nop(), Now: func() time.Time { return now }})
				if err != nil {
					b.Fatal(err)
				}
				tok := fmt.Sprintf("%064x", len(role.name))
				sum := sha256.Sum256([]byte(tok))
				raw, _ := json.Marshal(role.a)
				if err := st.CreateSession(context.Background(), store.Session{TokenHash: hex.EncodeToString(sum[:]), UserID: 1, Login: role.name,
					CSRF: "x", CreatedAt: now, ExpiresAt: now.Add(time.Hour), CheckedAt: now, Access: raw}); err != nil {
					b.Fatal(err)
				}
				for _, page := range []struct{ name, path string }{
					{"posture", "/console/"},
					{"posture-year", "/console/?since=2025-01-01&until=2025-12-31"},
					{"changes", "/console/changes"},
					{"changes-repo-kind", "/console/changes?repo=org1/repo1&kind=merge"},
					{"changes-actor", "/console/changes?actor=user7"},
					{"changes-kind-outcome", "/console/changes?kind=decision&outcome=fail"},
					{"exceptions-open", "/console/exceptions?open=1"},
				} {
					b.Run(role.name+"/"+page.name, func(b *testing.B) {
						var size int
						for b.Loop() {
							req := httptest.NewRequest(http.MethodGet, page.path, nil)
							req.AddCookie(&http.Cookie{Name: "foureyes_console", Value: tok})
							rec := httptest.NewRecorder()
							c.ServeHTTP(rec, req)
							if rec.Code != 200 {
								b.Fatalf("%s: %d %s", page.path, rec.Code, rec.Body.String())
							}
							size = rec.Body.Len()
						}
						b.ReportMetric(float64(size), "bytes")
					})
				}
				c.Close()
			}
		})
	}
}
