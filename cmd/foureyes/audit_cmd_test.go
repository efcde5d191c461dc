package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
)

func runAuditCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	var ee *exitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		if ee.err != nil { // what main prints on stderr
			return out.String() + ee.err.Error(), ee.code
		}
		return out.String(), ee.code
	}
	return out.String() + err.Error(), 2
}

func TestAuditCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "foureyes.db")
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var last store.Record
	for _, r := range []store.Record{
		{Kind: store.KindPush, Repository: "o/r", PR: 3, SHA: "h1", Actor: "alice"},
		{Kind: store.KindPRDecision, Repository: "o/r", PR: 3, SHA: "h1", Outcome: "success",
			Decision: []byte(`{"outcome":"success","title":"approved","rules":[{"name":"review","status":"pass","reason":"bob approved"}]}`)},
		{Kind: store.KindMerge, Repository: "o/r", PR: 3, SHA: "m1", Actor: "bob"},
	} {
		if last, err = st.Append(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out := filepath.Join(dir, "x.csv")
	for _, tc := range []struct {
		args     []string
		wantCode int
		want     string
	}{
		{[]string{"audit", "verify", "--store", db}, 0, "verified 3 records, head " + last.Hash},
		{[]string{"audit", "verify", "--store", "sqlite://" + db, "--head", last.Hash}, 0, "verified 3 records"},
		{[]string{"audit", "verify", "--store", db, "--head", strings.Repeat("f", 64)}, 1, "FAILED at record 4: missing tail"},
		{[]string{"audit", "verify", "--store", filepath.Join(dir, "none.db")}, 2, ""},
		{[]string{"audit", "export", "--store", db, "--format", "jsonl", "--kind", "merge"}, 0, `{"foureyes_export_manifest":`},
		{[]string{"audit", "export", "--store", db, "--format", "csv", "--out", out}, 0, ""},
		{[]string{"audit", "export", "--store", db, "--format", "xml"}, 2, ""},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r", "--pr", "3"}, 0, "rule review: pass (bob approved)"},
		{[]string{"audit", "trace", "--store", db, "--repo", "o/r"}, 2, ""},
	} {
		got, code := runAuditCLI(t, tc.args...)
		if code != tc.wantCode || !strings.Contains(got, tc.want) {
			t.Errorf("%v: exit %d, output %q; want exit %d with %q", tc.args, code, got, tc.wantCode, tc.want)
		}
	}
	if m, err := os.ReadFile(out + ".manifest.json"); err != nil || !strings.Contains(string(m), `"row_count": 3`) {
		t.Errorf("manifest: %s, %v", m, err)
	}
	// Change a record behind the triggers' back: verify names it.
	raw, err := sql.Open("sqlite", "file:"+db)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TRIGGER audit_records_no_update`, `UPDATE audit_records SET actor = 'mallory' WHERE seq = 2`} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()
	if got, code := runAuditCLI(t, "audit", "verify", "--store", db); code != 1 || !strings.Contains(got, "FAILED at record 2: content changed") {
		t.Errorf("verify after tampering: exit %d, %q", code, got)
	}
}
