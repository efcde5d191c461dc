package main

import (
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
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
