package server_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/deploy"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// The real server signs what it appends, writes signed checkpoints to a file and to its
// log, and stops appending after a record a script inserted (issue #18 point 8).
func TestServerSignsAndCheckpointsAndRefusesForgedHead(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "signing-key.pem")
	cpFile := filepath.Join(dir, "checkpoints.jsonl")
	h := strictHarness(t, e2etest.WithConfig(func(c *config.Config) {
		c.Audit.SigningKey = key
		c.Audit.Checkpoint.Targets = []string{"file:" + cpFile, "log"}
		c.Audit.Checkpoint.Interval = config.Duration(time.Hour) // one at start, one at shutdown
	}))
	h.OpenPR(e2etest.PRSpec{Number: 50, Author: "alice"})
	h.WaitIdle()
	if len(h.Records(store.Filter{PR: 50})) == 0 {
		t.Fatal("no record appended")
	}
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key not created with mode 0600: %v", err)
	}
	if strings.Contains(h.LogText(), "PRIVATE KEY") {
		t.Fatal("the private key was logged")
	}
	h.Stop() // writes the last checkpoint
	priv, err := signing.Load(key)
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	fromFile, err := audit.ReadCheckpointFile(cpFile)
	if err != nil {
		t.Fatal(err)
	}
	fromLog, err := audit.ReadCheckpoints(strings.NewReader(h.LogText()))
	if err != nil {
		t.Fatalf("no checkpoint in the server's log: %v", err)
	}
	st, err := store.OpenChain(context.Background(), h.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, err := audit.VerifyWith(context.Background(), st, audit.Options{PublicKey: pub, Checkpoints: append(fromFile, fromLog...)})
	if err != nil {
		t.Fatalf("verify of the server's log with its checkpoints: %v", err)
	}
	if res.Signatures == 0 || res.SignedThrough != res.HeadSeq || res.Checkpoints == 0 {
		t.Fatalf("result %+v", res)
	}

	// A script inserts a record; the restarted server refuses to sign over it.
	b := storetest.Backend{Name: "sqlite", DSN: h.DSN}
	b.ForgeAppend(t, store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 50, Outcome: "pass"})
	h.StartAgain()
	_, err = h.Store.Append(context.Background(), store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 50})
	if !errors.Is(err, store.ErrTampered) {
		t.Fatalf("append after a forged head: %v, want ErrTampered", err)
	}
}

// The deployment gate answered from a stored decision without re-checking it: a script
// that INSERTs an "approved" decision for a run got the deployment approved. Now the
// forged decision is refused and no approval is ever sent.
func TestForgedDeploymentApprovalNotAnswered(t *testing.T) {
	h := strictHarness(t)
	h.OpenPR(e2etest.PRSpec{Number: 60, Author: "alice"}) // the app's own, signed records
	h.WaitIdle()
	sha := e2etest.SHA("forged-deploy")
	run := githubtest.DeploymentRunID(h.Repo, "production", sha)
	b := storetest.Backend{Name: "sqlite", DSN: h.DSN}
	b.ForgeAppend(t, store.Record{Kind: store.KindDeploymentDecision, Repository: e2etest.Owner + "/" + e2etest.RepoName,
		SHA: sha, Subject: deploy.Subject(run, "production"), Actor: "mallory", Outcome: "approved",
		Decision: []byte(`{"state":"approved","outcome":"pass","title":"approved","environment":"production","sha":"` + sha + `","rules":[],"reason":"forged"}`)})
	h.Deploy("production", sha, "mallory")
	e2etest.Eventually(t, 60*time.Second, "the forged decision refused", func() bool {
		return strings.Contains(h.LogText(), "audit log tampered")
	})
	for _, r := range h.GH.DeploymentReviews() {
		if r.RunID == run && r.State == "approved" {
			t.Fatalf("the forged decision was answered: %+v", r)
		}
	}
}
