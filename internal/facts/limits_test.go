package facts

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/policy"
)

func manyFiles(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("src/f%05d.go", i)
	}
	return out
}

// TestPullRequestLimits: commits and files of a head are one compare when it can list them
// all; past GitHub's compare limits (250 commits, 300 files) or the gatherer's caps, which
// the PR's own counts announce, the PR endpoints are paged through instead, with the same
// caps and truncation flags as before.
func TestPullRequestLimits(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		commits     int
		files       int
		wantCommits int
		wantFiles   int
		trunc       *policy.Truncated
		compares    int
		commitPages int
		filePages   int
	}{
		{"one compare", nil, 3, 2, 3, 2, nil, 1, 0, 0},
		{"over 100 commits, still one compare", nil, 230, 120, 230, 120, nil, 1, 0, 0},
		{"exactly GitHub's 250 in one compare", nil, 250, 1, 250, 1, nil, 1, 0, 0},
		{"299 files in one compare", nil, 1, 299, 1, 299, nil, 1, 0, 0},
		{"300 files: compare may have cut, the PR endpoint lists them", nil, 1, 300, 1, 300, nil, 0, 1, 3},
		{"over 250: GitHub stops, the PR count tells", nil, 300, 1, 250, 1, &policy.Truncated{Commits: true}, 0, 3, 1},
		{"a cap above GitHub's is clamped", []Option{WithMaxCommits(1000), WithMaxFiles(10000)}, 300, 1, 250, 1, &policy.Truncated{Commits: true}, 0, 3, 1},
		{"own commit cap mid-page", []Option{WithMaxCommits(120)}, 230, 1, 120, 1, &policy.Truncated{Commits: true}, 0, 2, 1},
		{"own commit cap on a page boundary", []Option{WithMaxCommits(200)}, 230, 1, 200, 1, &policy.Truncated{Commits: true}, 0, 2, 1},
		{"own commit cap not reached: compare", []Option{WithMaxCommits(200)}, 200, 1, 200, 1, nil, 1, 0, 0},
		{"own file cap", []Option{WithMaxFiles(150)}, 1, 400, 1, 150, &policy.Truncated{Files: true}, 0, 1, 2},
		{"own file cap below compare's", []Option{WithMaxFiles(150)}, 1, 160, 1, 150, &policy.Truncated{Files: true}, 0, 1, 2},
		{"GitHub's 3000 files", nil, 1, 3005, 1, 3000, &policy.Truncated{Files: true}, 0, 1, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.addLinearPR(7, tt.commits, "alice", manyFiles(tt.files))
			f, st, err := New(tt.opts...).PullRequest(context.Background(), e.client, "acme", "payments", 7, PROptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Commits) != tt.wantCommits || len(f.ChangedFiles) != tt.wantFiles {
				t.Errorf("got %d commits, %d files; want %d, %d", len(f.Commits), len(f.ChangedFiles), tt.wantCommits, tt.wantFiles)
			}
			for i, c := range f.Commits {
				if c.SHA != p.Commits[i] {
					t.Fatalf("commit %d is %s, want %s (PR order)", i, c.SHA, p.Commits[i])
				}
			}
			if fmt.Sprint(f.Truncated) != fmt.Sprint(tt.trunc) {
				t.Errorf("truncated = %+v, want %+v", f.Truncated, tt.trunc)
			}
			compares := e.apiRequests("/compare/")
			commitReqs := e.apiRequests("/pulls/7/commits")
			fileReqs := e.apiRequests("/pulls/7/files")
			if len(compares) != tt.compares || len(commitReqs) != tt.commitPages || len(fileReqs) != tt.filePages {
				t.Errorf("%d compares, %d commit pages, %d file pages; want %d, %d, %d",
					len(compares), len(commitReqs), len(fileReqs), tt.compares, tt.commitPages, tt.filePages)
			}
			for _, r := range append(commitReqs, fileReqs...) {
				if !strings.Contains(r, "per_page=100") {
					t.Errorf("request without per_page=100: %s", r)
				}
			}
			for _, r := range compares {
				if !strings.Contains(r, "/compare/base0..."+p.HeadSHA+"?") || strings.Contains(r, "page") {
					t.Errorf("compare request %s is not the PR's base...head, unpaginated", r)
				}
			}
			if want := 1 + tt.compares + tt.commitPages + 1 + 1 + 1 + tt.filePages; st.Requests != want {
				t.Errorf("stats.Requests = %d, want %d", st.Requests, want)
			}
		})
	}
}
