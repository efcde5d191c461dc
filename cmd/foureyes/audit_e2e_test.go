package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// The audit commands on a database the real server wrote: a PR's whole life (push,
// decisions, merge) and a deployment of the merged SHA, on SQLite and on PostgreSQL with
// two replicas writing the same chain.
func TestAuditCommandsOnAServerDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := e2etest.Start(t, e2etest.WithDSN(b.DSN))
		h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy+"deployments:\n  - environments: [production]\n    require: {approved_change: true, independent_deployer: true}\n")
		h.Repo.SetPermission("bob", "write")
		send := h.Send
		if b.Name == "postgres" {
			r := h.AddReplica()
			send = func(event string, payload any) string { // the replica takes every other webhook
				id := githubtest.NewGUID()
				resp, err := r.Sender.SendDelivery(event, id, payload)
				if err != nil || resp.StatusCode != 200 {
					t.Fatalf("replica send: %v %v", resp, err)
				}
				resp.Body.Close()
				return id
			}
		}
		pr := h.OpenPR(e2etest.PRSpec{Number: 7, Author: "alice"})
		c := h.Repo.AddCheckRun(pr.HeadSHA, githubtest.CheckRun{Name: "build", AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success"})
		send("check_run", githubtest.CheckRunEvent("completed", h.Repo, c, pr.HeadSHA, "ci"))
		pr = h.Push(7, "alice", githubtest.Commit{SHA: e2etest.SHA("audit-c2"), Author: "alice", Committer: "alice", Message: "fix"})
		h.PassBuild(pr.HeadSHA)
		rv := h.Repo.AddReview(7, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA})
		send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob"))
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
		h.WaitIdle()
		merge := h.MergePR(7, "bob")
		h.WaitIdle()
		run := h.Deploy("production", merge, "carol")
		if ans := h.DeploymentAnswer(run, "production"); ans.State != "approved" {
			t.Fatalf("deployment answer %+v", ans)
		}
		h.WaitIdle()

		out, code := runAuditCLI(t, "audit", "verify", "--store", b.DSN)
		if code != 0 || !strings.HasPrefix(out, "verified ") {
			t.Fatalf("verify: exit %d: %s", code, out)
		}
		out, code = runAuditCLI(t, "audit", "trace", "--store", b.DSN, "--repo", "acme/payments", "--pr", "7")
		if code != 0 {
			t.Fatalf("trace: exit %d: %s", code, out)
		}
		for _, want := range []string{"push", "pr_decision", "merge", "deployment_decision", "alice", "bob", "carol", "approved"} {
			if !strings.Contains(out, want) {
				t.Errorf("trace does not show %q:\n%s", want, out)
			}
		}
		out, code = runAuditCLI(t, "audit", "export", "--store", b.DSN, "--format", "jsonl", "--repo", "acme/payments", "--kind", "merge")
		if code != 0 || strings.Count(out, `"kind":"merge"`) != 1 || !strings.Contains(out, "sha256") {
			t.Errorf("export: exit %d:\n%s", code, out)
		}
	})
}

// Without --store, --config points the audit commands at the server's own store.
func TestAuditStoreFromServerConfig(t *testing.T) {
	h := e2etest.Start(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 3, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
	h.WaitIdle()
	cfg := filepath.Join(t.TempDir(), "foureyes.yml")
	if err := os.WriteFile(cfg, []byte("store:\n  dsn: "+h.DSN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, code := runAuditCLI(t, "audit", "verify", "--config", cfg)
	if code != 0 || !strings.HasPrefix(out, "verified 1 records") {
		t.Fatalf("verify --config: exit %d: %s", code, out)
	}
}
