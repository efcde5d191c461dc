package githubtest_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// compareFixture: base b0 on main, n linear commits k1..kn on it (commit k2 lists
// Commit.Files), and PR 5 from kn onto b0 with files (one renamed, one added).
func compareFixture(t *testing.T, n int, prFiles []string) (*github.Client, *githubtest.Repo) {
	s := githubtest.New(t)
	s.AddInstallation(7, "acme")
	r := s.AddRepo("acme/payments", 7)
	r.AddCommit(githubtest.Commit{SHA: "b0", Author: "root", Committer: "root", Message: "base"})
	parent := "b0"
	var shas []string
	for i := 1; i <= n; i++ {
		c := githubtest.Commit{SHA: fmt.Sprintf("k%d", i), Parents: []string{parent}, Author: "alice", Committer: "alice", Message: "step"}
		if i == 2 {
			c.Files = []string{"z/from-commit.go", "a/from-commit.go"}
		}
		r.AddCommit(c)
		parent = c.SHA
		shas = append(shas, c.SHA)
	}
	r.SetPR(githubtest.PR{Number: 5, Author: "alice", BaseRef: "main", BaseSHA: "b0", HeadRef: "f", HeadSHA: parent, Commits: shas,
		Files: prFiles, FileStatus: map[string]string{"new.go": "added"}, RenamedFrom: map[string]string{"docs/moved.md": "src/moved.md"}})
	client, err := s.ClientCreator(t).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	return client, r
}

func fileSummaries(files []*github.CommitFile) []string {
	out := []string{}
	for _, f := range files {
		out = append(out, f.GetStatus()+" "+f.GetPreviousFilename()+">"+f.GetFilename())
	}
	return out
}

func manyPaths(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("f%04d.go", i)
	}
	return out
}

func TestCompareFiles(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		commits   int
		prFiles   []string
		base      string
		head      string
		opts      *github.ListOptions
		listed    int
		total     int
		files     []string // nil: no files key
		filesLen  int      // when files is not given in full
		nextPage  int
		sameAsPR  bool // files equal to pulls/5/files
		wantFirst string
	}{
		{name: "the PR's base...head lists the PR's files as pulls/{n}/files does", commits: 3,
			prFiles: []string{"src/a.go", "new.go", "docs/moved.md"}, base: "b0", head: "k3", listed: 3, total: 3,
			files:    []string{"modified >src/a.go", "added >new.go", "renamed src/moved.md>docs/moved.md"},
			sameAsPR: true},
		{name: "no PR: the files the commits list", commits: 3, prFiles: []string{"src/a.go"}, base: "k1", head: "k3", listed: 2, total: 2,
			files: []string{"modified >a/from-commit.go", "modified >z/from-commit.go"}},
		{name: "nothing ahead: empty files, not none", commits: 3, base: "k3", head: "k1", listed: 0, total: 0, files: []string{}},
		{name: "250 commits listed of 260", commits: 260, prFiles: []string{"x.go"}, base: "b0", head: "k260", listed: 250, total: 260,
			files: []string{"modified >x.go"}, wantFirst: "k1"},
		{name: "300 files listed of 320", commits: 1, prFiles: manyPaths(320), base: "b0", head: "k1", listed: 1, total: 1, filesLen: 300},
		{name: "paginated: the first page carries the files", commits: 5, prFiles: []string{"x.go"}, base: "b0", head: "k5",
			opts: &github.ListOptions{PerPage: 2}, listed: 2, total: 5, files: []string{"modified >x.go"}, nextPage: 2, wantFirst: "k1"},
		{name: "paginated: later pages do not", commits: 5, prFiles: []string{"x.go"}, base: "b0", head: "k5",
			opts: &github.ListOptions{PerPage: 2, Page: 3}, listed: 1, total: 5, files: nil, wantFirst: "k5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := compareFixture(t, tt.commits, tt.prFiles)
			cmp, resp, err := client.Repositories.CompareCommits(ctx, "acme", "payments", tt.base, tt.head, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(cmp.Commits) != tt.listed || cmp.GetTotalCommits() != tt.total || resp.NextPage != tt.nextPage {
				t.Errorf("listed %d of %d commits, next page %d; want %d of %d, %d", len(cmp.Commits), cmp.GetTotalCommits(), resp.NextPage, tt.listed, tt.total, tt.nextPage)
			}
			if tt.wantFirst != "" && (len(cmp.Commits) == 0 || cmp.Commits[0].GetSHA() != tt.wantFirst) {
				t.Errorf("first commit is not %s", tt.wantFirst)
			}
			switch {
			case tt.filesLen > 0:
				if len(cmp.Files) != tt.filesLen {
					t.Errorf("%d files, want %d", len(cmp.Files), tt.filesLen)
				}
			case tt.files == nil:
				if cmp.Files != nil {
					t.Errorf("files = %v, want no files key", fileSummaries(cmp.Files))
				}
			default:
				if cmp.Files == nil || !reflect.DeepEqual(fileSummaries(cmp.Files), tt.files) {
					t.Errorf("files = %v (nil %v), want %v", fileSummaries(cmp.Files), cmp.Files == nil, tt.files)
				}
			}
			if tt.sameAsPR {
				pr, _, err := client.PullRequests.ListFiles(ctx, "acme", "payments", 5, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(pr, cmp.Files) {
					t.Errorf("compare files differ from the PR's:\n%v\n%v", pr, cmp.Files)
				}
				for _, f := range cmp.Files {
					if f.GetSHA() == "" || f.GetBlobURL() == "" || f.GetChanges() != 1 || f.GetAdditions() != 1 {
						t.Errorf("file not shaped like GitHub's: %v", f)
					}
				}
			}
		})
	}
}
