package facts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/policy"
)

// withoutCompareFiles is a transport that drops the files key from compare answers, as a
// GitHub-compatible server that does not list them would answer.
type withoutCompareFiles struct{ next http.RoundTripper }

func (t withoutCompareFiles) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(req.URL.Path, "/compare/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, err
	}
	if _, ok := m["files"]; !ok {
		return nil, fmt.Errorf("the fake's compare answer has no files key to drop")
	}
	delete(m, "files")
	if body, err = json.Marshal(m); err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// clientWithout returns e's installation client behind withoutCompareFiles.
func clientWithout(e *env) *github.Client {
	c := github.NewClient(&http.Client{Transport: withoutCompareFiles{next: e.client.Client().Transport}})
	c.BaseURL, c.UploadURL = e.client.BaseURL, e.client.UploadURL
	return c
}

// TestCompareFallback: compare's answer is used only when it is the whole truth; each
// reason it is not sends the gather to the PR's commits and files endpoints, with the same
// result. The PR is given without its commit and file counts (as the list endpoint gives
// it), so compare is asked and its answer alone must show the gap.
func TestCompareFallback(t *testing.T) {
	tests := []struct {
		name        string
		commits     int
		files       int
		opts        []Option
		prepare     func(e *env) // before the gather
		noFilesKey  bool
		baseSHA     string // the given PR's base SHA instead of the fake's
		wantCommits int
		wantFiles   int
		commitPages int // PR commits endpoint requests; 0: compare answered
		filePages   int
	}{
		{name: "compare is the whole truth", commits: 3, files: 2, wantCommits: 3, wantFiles: 2},
		{name: "more than 250 commits: compare lists 250 of total_commits", commits: 260, files: 2,
			wantCommits: 250, wantFiles: 2, commitPages: 3, filePages: 1},
		{name: "over the own commit cap", commits: 3, files: 2, opts: []Option{WithMaxCommits(2)},
			wantCommits: 2, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "300 files: GitHub's compare cut", commits: 2, files: 300,
			wantCommits: 2, wantFiles: 300, commitPages: 1, filePages: 3},
		{name: "over the own file cap", commits: 2, files: 160, opts: []Option{WithMaxFiles(150)},
			wantCommits: 2, wantFiles: 150, commitPages: 1, filePages: 2},
		{name: "no files key", commits: 3, files: 2, noFilesKey: true,
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "no files key, no file changed", commits: 3, files: 0, noFilesKey: true,
			wantCommits: 3, wantFiles: 0, commitPages: 1, filePages: 1},
		{name: "no file changed: an empty files list is an answer", commits: 3, files: 0, wantCommits: 3, wantFiles: 0},
		{name: "404: base SHA unknown (force-pushed away)", commits: 3, files: 2, baseSHA: "gone0",
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "422", commits: 3, files: 2,
			prepare:     func(e *env) { e.s.Fail("GET", "/repos/acme/payments/compare/*", 422, 1, nil) },
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "403 without a rate limit: no access to compare", commits: 3, files: 2,
			prepare:     func(e *env) { e.s.Fail("GET", "/repos/acme/payments/compare/*", 403, 1, nil) },
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "501: a server without compare", commits: 3, files: 2,
			prepare:     func(e *env) { e.s.Fail("GET", "/repos/acme/payments/compare/*", 501, 1, nil) },
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
		{name: "no commit: the base moved past the head", commits: 3, files: 2,
			prepare: func(e *env) {
				e.repo.AddCommit(githubtest.Commit{SHA: "later", Parents: []string{"c0003"}, Author: "bob", Committer: "bob", Message: "merged"})
				pr := e.repo.PR(7)
				pr.BaseSHA = "later"
				e.repo.SetPR(pr)
			},
			wantCommits: 3, wantFiles: 2, commitPages: 1, filePages: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.addLinearPR(7, tt.commits, "alice", manyFiles(tt.files))
			if tt.prepare != nil {
				tt.prepare(e)
			}
			pr := prFromFake(t, e, 7)
			pr.Commits, pr.ChangedFiles = nil, nil
			if tt.baseSHA != "" {
				pr.Base.SHA = github.String(tt.baseSHA)
			}
			client := e.client
			if tt.noFilesKey {
				client = clientWithout(e)
			}
			e.s.ResetRequests()
			f, st, err := New(tt.opts...).PullRequest(context.Background(), client, "acme", "payments", 7, PROptions{PR: pr})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Commits) != tt.wantCommits || len(f.ChangedFiles) != tt.wantFiles {
				t.Errorf("got %d commits, %d files; want %d, %d", len(f.Commits), len(f.ChangedFiles), tt.wantCommits, tt.wantFiles)
			}
			compares := e.apiRequests("/compare/")
			commitReqs := e.apiRequests("/pulls/7/commits")
			fileReqs := e.apiRequests("/pulls/7/files")
			if len(compares) != 1 || len(commitReqs) != tt.commitPages || len(fileReqs) != tt.filePages {
				t.Errorf("%d compares, %d commit pages, %d file pages; want 1, %d, %d",
					len(compares), len(commitReqs), len(fileReqs), tt.commitPages, tt.filePages)
			}
			// compare, reviews, check runs, statuses, and the fallback's pages.
			if want := 1 + 3 + tt.commitPages + tt.filePages; st.Requests != want {
				t.Errorf("stats.Requests = %d, want %d", st.Requests, want)
			}
		})
	}
}

// TestCompareTransientErrors: GitHub being unwell on compare is an error to retry, not a
// reason to read elsewhere.
func TestCompareTransientErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		headers map[string]string
	}{
		{"502", http.StatusBadGateway, nil},
		{"503", http.StatusServiceUnavailable, nil},
		{"primary rate limit", http.StatusForbidden, map[string]string{"X-Ratelimit-Remaining": "0"}},
		{"secondary rate limit", http.StatusForbidden, map[string]string{"Retry-After": "5"}},
		{"429", http.StatusTooManyRequests, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.addLinearPR(7, 3, "alice", manyFiles(2))
			e.s.Fail("GET", "/repos/acme/payments/compare/*", tt.status, 1, tt.headers)
			_, st, err := New().PullRequest(context.Background(), e.client, "acme", "payments", 7, PROptions{})
			if err == nil || !IsTransient(err) {
				t.Fatalf("err = %v, want a transient error", err)
			}
			if !strings.Contains(err.Error(), "compare base0...c0003 of acme/payments#7") {
				t.Errorf("error %q does not name the compare", err)
			}
			if got := len(e.apiRequests("/pulls/7/commits")) + len(e.apiRequests("/pulls/7/files")); got != 0 {
				t.Errorf("fell back to the PR endpoints (%d requests) on a transient error", got)
			}
			if st.Requests < 2 { // the PR and compare at least
				t.Errorf("stats.Requests = %d: the failed compare is not counted", st.Requests)
			}
		})
	}
}

// TestCompareRenameListsOldName: the old path of a renamed file is a changed file too
// (moving a file out of a protected path changes that path).
func TestCompareRenameListsOldName(t *testing.T) {
	e := newEnv(t)
	p := e.addLinearPR(7, 2, "alice", []string{"docs/moved.go", "src/kept.go"})
	p.RenamedFrom = map[string]string{"docs/moved.go": "src/protected/moved.go"}
	e.repo.SetPR(p)
	f, _, err := New().PullRequest(context.Background(), e.client, "acme", "payments", 7, PROptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"docs/moved.go", "src/kept.go", "src/protected/moved.go"}; !reflect.DeepEqual(f.ChangedFiles, want) {
		t.Errorf("changed files = %v, want %v", f.ChangedFiles, want)
	}
	if got := len(e.apiRequests("/compare/")); got != 1 || len(e.apiRequests("/pulls/7/files")) != 0 {
		t.Errorf("%d compares, %v file requests: want the files from compare", got, e.apiRequests("/pulls/7/files"))
	}
}

// TestCompareCache: a head's compare is read once; a second PR with the same head and
// another base (the #18 decoy) reads its own, and the two never share a list.
func TestCompareCache(t *testing.T) {
	e := newEnv(t)
	e.addLinearPR(7, 3, "alice", []string{"src/a.go"})
	// PR 8: the same head onto a branch whose tip already holds c0001 and c0002.
	e.repo.SetPR(githubtest.PR{Number: 8, Title: "decoy", Author: "alice", BaseRef: "release", BaseSHA: "c0002",
		HeadRef: "feature/big", HeadSHA: "c0003", Commits: []string{"c0003"}, Files: []string{"src/b.go"}})
	g := New()
	ctx := context.Background()
	gather := func(number int) (policy.Facts, Stats) {
		t.Helper()
		f, st, err := g.PullRequest(ctx, e.client, "acme", "payments", number, PROptions{})
		if err != nil {
			t.Fatal(err)
		}
		return f, st
	}
	shas := func(f policy.Facts) []string {
		var out []string
		for _, c := range f.Commits {
			out = append(out, c.SHA)
		}
		return out
	}
	steps := []struct {
		number    int
		compares  int
		cacheHits int
		commits   []string
		files     []string
	}{
		{7, 1, 0, []string{"c0001", "c0002", "c0003"}, []string{"src/a.go"}},
		{7, 0, 2, []string{"c0001", "c0002", "c0003"}, []string{"src/a.go"}},
		{8, 1, 0, []string{"c0003"}, []string{"src/b.go"}},
		{8, 0, 2, []string{"c0003"}, []string{"src/b.go"}},
		{7, 0, 2, []string{"c0001", "c0002", "c0003"}, []string{"src/a.go"}},
	}
	for i, s := range steps {
		e.s.ResetRequests()
		f, st := gather(s.number)
		if got := len(e.apiRequests("/compare/")); got != s.compares || st.CacheHits != s.cacheHits {
			t.Errorf("step %d (#%d): %d compares, %d cache hits; want %d, %d", i, s.number, got, st.CacheHits, s.compares, s.cacheHits)
		}
		if got := len(e.apiRequests("/pulls/7/commits")) + len(e.apiRequests("/pulls/8/commits")) +
			len(e.apiRequests("/pulls/7/files")) + len(e.apiRequests("/pulls/8/files")); got != 0 {
			t.Errorf("step %d: %d PR commits/files requests, want 0", i, got)
		}
		if !reflect.DeepEqual(shas(f), s.commits) || !reflect.DeepEqual(f.ChangedFiles, s.files) {
			t.Errorf("step %d (#%d): commits %v files %v, want %v %v", i, s.number, shas(f), f.ChangedFiles, s.commits, s.files)
		}
	}
}
