package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// `audit exceptions` on a database the real server wrote: an emergency change merged
// without its review is open, overdue after review_within (--at), closed once an
// independent approver reviews it; trace shows the emergency and pir records. Both
// backends.
func TestAuditExceptionsOnAServerDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := e2etest.Start(t, e2etest.WithDSN(b.DSN))
		h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy+
			"    emergency:\n      declared_by: {users: [ivan]}\n      ticket: {pattern: 'INC-[0-9]+'}\n      review_within: 24h\n")
		for _, u := range []string{"bob", "ivan"} {
			h.Repo.SetPermission(u, "write")
		}
		pr := h.OpenPR(e2etest.PRSpec{Number: 9, Author: "alice"})
		h.PassBuild(pr.HeadSHA)
		h.Comment(9, "ivan", "/foureyes emergency INC-99 ledger stuck")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
		h.WaitIdle()
		h.MergePR(9, "alice")
		h.WaitIdle()

		out, code := runAuditCLI(t, "audit", "exceptions", "--store", b.DSN)
		if code != 0 || !strings.Contains(out, "emergency open") || !strings.Contains(out, "INC-99 declared by ivan") {
			t.Fatalf("exceptions: exit %d:\n%s", code, out)
		}
		later := time.Now().Add(25 * time.Hour).UTC().Format(time.RFC3339)
		out, code = runAuditCLI(t, "audit", "exceptions", "--store", b.DSN, "--status", "overdue", "--at", later)
		if code != 0 || !strings.Contains(out, "emergency overdue") {
			t.Fatalf("exceptions --status overdue --at %s: exit %d:\n%s", later, code, out)
		}
		h.Approve(9, "bob")
		h.WaitIdle()
		out, code = runAuditCLI(t, "audit", "exceptions", "--store", b.DSN, "--at", later, "--format", "json")
		if code != 0 || !strings.Contains(out, `"status": "closed"`) || !strings.Contains(out, `"reviewed_by": [`) {
			t.Fatalf("exceptions after the review: exit %d:\n%s", code, out)
		}
		// The evidence package of the change re-performs the review after the fact too.
		zip := filepath.Join(t.TempDir(), "pr9.zip")
		if out, code := runAuditCLI(t, "audit", "evidence", "--store", b.DSN, "--repo", "acme/payments", "--pr", "9", "--out", zip); code != 0 {
			t.Fatalf("evidence: exit %d: %s", code, out)
		}
		out, code = runAuditCLI(t, "audit", "evidence", "verify", zip)
		pirs := h.Records(store.Filter{Repo: "acme/payments", PR: 9, Kinds: []store.Kind{store.KindPIR}})
		if code != 0 || len(pirs) != 1 || strings.Contains(out, fmt.Sprintf("record %d (pir)", pirs[0].Seq)) ||
			strings.Contains(out, fmt.Sprintf("record %d: the package holds no policy text", pirs[0].Seq)) {
			t.Fatalf("evidence verify of the emergency change: exit %d (pir records %d):\n%s", code, len(pirs), out)
		}
		out, code = runAuditCLI(t, "audit", "trace", "--store", b.DSN, "--repo", "acme/payments", "--pr", "9")
		if code != 0 || !strings.Contains(out, "emergency") || !strings.Contains(out, "pir") {
			t.Fatalf("trace lacks the emergency and pir records: exit %d:\n%s", code, out)
		}
		if _, code := runAuditCLI(t, "audit", "exceptions", "--store", b.DSN, "--status", "late"); code != 2 {
			t.Errorf("--status late: exit %d, want 2", code)
		}
		if out, code := runAuditCLI(t, "audit", "verify", "--store", b.DSN); code != 0 {
			t.Fatalf("verify: exit %d: %s", code, out)
		}
	})
}

// Every audit command that writes --out refuses to replace an existing file without
// --force, and evidence commands take the short SHAs foureyes prints and refuse a head
// that is not a hash (a usage error, never a false tampering alarm).
func TestAuditOutputsRefuseOverwriteAndBadInput(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Repo.SetPermission("bob", "write")
	pr := h.OpenPR(e2etest.PRSpec{Number: 3, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(3, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	dsn := h.DSN
	dir := t.TempDir()
	existing := dir + "/exists"
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"audit", "sample", "--store", dsn, "--since", "2020-01-01", "--until", "2099-01-01", "--size", "1", "--seed", "s", "--out", existing},
		{"audit", "report", "--store", dsn, "--since", "2020-01-01", "--until", "2099-01-01", "--out", existing},
		{"audit", "evidence", "--store", dsn, "--repo", "acme/payments", "--pr", "3", "--out", existing},
		{"audit", "export", "--store", dsn, "--out", existing},
	} {
		out, code := runAuditCLI(t, args...)
		if code != 2 || !strings.Contains(out, "--force") {
			t.Errorf("%v over an existing file: exit %d, want 2 naming --force:\n%s", args[:2], code, out)
		}
		if b, _ := os.ReadFile(existing); string(b) != "keep me" {
			t.Fatalf("%v overwrote the file", args[:2])
		}
	}
	zip := dir + "/pr3.zip"
	if out, code := runAuditCLI(t, "audit", "evidence", "--store", dsn, "--repo", "acme/payments", "--sha", pr.HeadSHA[:7], "--out", zip); code != 0 {
		t.Fatalf("evidence --sha <7 hex>: exit %d:\n%s", code, out)
	}
	if out, code := runAuditCLI(t, "audit", "evidence", "--store", dsn, "--repo", "acme/payments", "--pr", "3", "--out", zip, "--force"); code != 0 {
		t.Fatalf("evidence --force: exit %d:\n%s", code, out)
	}
	if out, code := runAuditCLI(t, "audit", "evidence", "verify", zip, "--head", "abc"); code != 2 || strings.Contains(out, "FAILED") {
		t.Errorf("evidence verify --head abc: exit %d, want a usage error (2):\n%s", code, out)
	}
	if out, code := runAuditCLI(t, "audit", "evidence", "--store", dsn, "--repo", "acme/payments", "--sha", "zzz", "--out", dir+"/x.zip"); code != 2 || !strings.Contains(out, "hexadecimal") {
		t.Errorf("evidence --sha zzz: exit %d:\n%s", code, out)
	}
}
