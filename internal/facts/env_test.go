package facts

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

const (
	testInstallation = 42
	testOwner        = "acme"
	testRepoName     = "payments"
)

// env is a fake GitHub with one installed repository and an installation client built by
// the same stack the server uses: go-githubapp's caching client creator, ghinstallation
// auth, httpcache with always-validate.
type env struct {
	s      *githubtest.Server
	repo   *githubtest.Repo
	client *github.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s := githubtest.New(t)
	s.AddInstallation(testInstallation, testOwner)
	r := s.AddRepo(testOwner+"/"+testRepoName, testInstallation)
	cc := s.ClientCreator(t)
	client, err := cc.NewInstallationClient(testInstallation)
	if err != nil {
		t.Fatalf("installation client: %v", err)
	}
	return &env{s: s, repo: r, client: client}
}

// apiRequests returns the recorded requests whose path contains part, as "METHOD path?query status".
func (e *env) apiRequests(part string) []string {
	var out []string
	for _, r := range e.s.Requests() {
		if strings.Contains(r.Path, part) {
			out = append(out, fmt.Sprintf("%s %s?%s %d", r.Method, r.Path, r.Query, r.Status))
		}
	}
	return out
}

// addLinearPR adds n commits c001..cNNN by author on the base commit base0 and PR number
// with them and files.
func (e *env) addLinearPR(number, n int, author string, files []string) githubtest.PR {
	shas := make([]string, n)
	parent := "base0"
	e.repo.AddCommit(githubtest.Commit{SHA: parent, Author: "root", Committer: "root", Message: "base", Date: time.Date(2026, 11, 19, 9, 0, 0, 0, time.UTC)})
	for i := range shas {
		shas[i] = fmt.Sprintf("c%04d", i+1)
		e.repo.AddCommit(githubtest.Commit{SHA: shas[i], Parents: []string{parent}, Author: author, Committer: author,
			AuthorEmail: author + "@corp.example", Message: fmt.Sprintf("commit %d", i+1), Date: time.Date(2026, 11, 20, 9, 0, i, 0, time.UTC)})
		parent = shas[i]
	}
	p := githubtest.PR{Number: number, Title: "PAY-1 big", Author: author, BaseRef: "main", BaseSHA: "base0",
		HeadRef: "feature/big", HeadSHA: shas[n-1], Commits: shas, Files: files}
	e.repo.SetPR(p)
	return p
}

// golden compares got, as indented JSON, with testdata/name (rewritten with -update).
func golden(t *testing.T, name string, got any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep "<e-mail>" in trailers readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(got); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from the golden file (run with -update after checking):\n%s", path, b)
	}
}

// prFromFake decodes the fake's rendering of a PR, as a webhook would carry it.
func prFromFake(t *testing.T, e *env, number int) *github.PullRequest {
	t.Helper()
	b, err := json.Marshal(e.repo.PRJSON(number))
	if err != nil {
		t.Fatal(err)
	}
	var pr github.PullRequest
	if err := json.Unmarshal(b, &pr); err != nil {
		t.Fatal(err)
	}
	return &pr
}
