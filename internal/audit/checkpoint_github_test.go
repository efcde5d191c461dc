package audit_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// Checkpoints committed to a GitHub repository with a token that sees only that
// repository: one commit per new head, appended lines, and the file as GitHub serves it
// is a checkpoint file whose signatures verify.
func TestCheckpointCommittedToGitHub(t *testing.T) {
	gh := githubtest.New(t)
	gh.AddInstallation(7, "acme")
	repo := gh.AddRepo("acme/audit-checkpoints", 7)
	gh.AddRepo("acme/payments", 7)
	gh.AddRepoToken("github_pat_checkpoints", "acme/audit-checkpoints")
	client, err := github.NewClient(nil).WithAuthToken("github_pat_checkpoints").WithEnterpriseURLs(gh.APIURL, gh.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	owner, name, path, branch, err := audit.ParseGitHubTarget("github:acme/audit-checkpoints/prod/foureyes.jsonl")
	if err != nil || owner != "acme" || name != "audit-checkpoints" || path != "prod/foureyes.jsonl" || branch != "" {
		t.Fatalf("parse: %s %s %s %s %v", owner, name, path, branch, err)
	}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	head := &fixedHead{3, strings.Repeat("a", 64)}
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	c := &audit.Checkpointer{Store: head, Key: priv, Interval: time.Hour, Now: func() time.Time { return now },
		Sinks: []audit.CheckpointSink{&audit.GitHubSink{Client: client, Owner: owner, Repo: name, Path: path}}}
	for _, step := range []struct {
		seq  int64
		want bool
	}{{3, true}, {3, false}, {5, true}} {
		head.seq = step.seq
		head.hash = strings.Repeat(string(rune('a'+step.seq)), 64)
		if wrote, err := c.Once(context.Background()); err != nil || wrote != step.want {
			t.Fatalf("head %d: wrote=%v err=%v", step.seq, wrote, err)
		}
	}
	if n := repo.ContentCommits(path); n != 2 {
		t.Fatalf("%d commits, want one per new head (2)", n)
	}
	f, _, _, err := client.Repositories.GetContents(context.Background(), owner, name, path, nil)
	if err != nil {
		t.Fatal(err)
	}
	text, _ := f.GetContent()
	cps, err := audit.ReadCheckpoints(strings.NewReader(text))
	if err != nil || len(cps) != 2 || cps[0].Seq != 3 || cps[1].Seq != 5 {
		t.Fatalf("checkpoints on GitHub: %+v (%v)\n%s", cps, err, text)
	}
	for _, cp := range cps {
		if err := cp.Verify(priv.Public().(ed25519.PublicKey)); err != nil {
			t.Fatal(err)
		}
	}
	// The token sees nothing else: a target in another repository fails, loudly.
	other := &audit.GitHubSink{Client: client, Owner: "acme", Repo: "payments", Path: "x.jsonl"}
	if err := other.WriteCheckpoint(context.Background(), cps[0]); err == nil {
		t.Fatal("a checkpoint was written to a repository the token does not cover")
	}
	for _, bad := range []string{"github:acme", "github:acme/repo", "github:acme/repo/", "github:acme/repo/x@", "github:/r/p", "github:a/b/../x"} {
		if _, _, _, _, err := audit.ParseGitHubTarget(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
