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

func TestPullRequestLimits(t *testing.T) {
	tests := []struct {
		name        string
		opts        []Option
		commits     int
		files       int
		wantCommits int
		wantFiles   int
		trunc       *policy.Truncated
		commitPages int
		filePages   int
	}{
		{"one page", nil, 3, 2, 3, 2, nil, 1, 1},
		{"pagination over 100 commits", nil, 230, 120, 230, 120, nil, 3, 2},
		{"exactly GitHub's 250", nil, 250, 1, 250, 1, nil, 3, 1},
		{"over 250: GitHub stops, the PR count tells", nil, 300, 1, 250, 1, &policy.Truncated{Commits: true}, 3, 1},
		{"a cap above GitHub's is clamped", []Option{WithMaxCommits(1000), WithMaxFiles(10000)}, 300, 1, 250, 1, &policy.Truncated{Commits: true}, 3, 1},
		{"own commit cap mid-page", []Option{WithMaxCommits(120)}, 230, 1, 120, 1, &policy.Truncated{Commits: true}, 2, 1},
		{"own commit cap on a page boundary", []Option{WithMaxCommits(200)}, 230, 1, 200, 1, &policy.Truncated{Commits: true}, 2, 1},
		{"own file cap", []Option{WithMaxFiles(150)}, 1, 400, 1, 150, &policy.Truncated{Files: true}, 1, 2},
		{"GitHub's 3000 files", nil, 1, 3005, 1, 3000, &policy.Truncated{Files: true}, 1, 30},
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
			commitReqs := e.apiRequests("/pulls/7/commits")
			fileReqs := e.apiRequests("/pulls/7/files")
			if len(commitReqs) != tt.commitPages || len(fileReqs) != tt.filePages {
				t.Errorf("%d commit pages, %d file pages; want %d, %d", len(commitReqs), len(fileReqs), tt.commitPages, tt.filePages)
			}
			for _, r := range append(commitReqs, fileReqs...) {
				if !strings.Contains(r, "per_page=100") {
					t.Errorf("request without per_page=100: %s", r)
				}
			}
			if want := 1 + tt.commitPages + 1 + 1 + 1 + tt.filePages; st.Requests != want {
				t.Errorf("stats.Requests = %d, want %d", st.Requests, want)
			}
		})
	}
}
