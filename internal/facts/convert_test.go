package facts

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

func ts(s string) *github.Timestamp {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &github.Timestamp{Time: t}
}

func TestConvertReviewsOrderAndCase(t *testing.T) {
	in := []*github.PullRequestReview{
		{ID: github.Int64(9), User: &github.User{Login: github.String("bob")}, State: github.String("approved"), CommitID: github.String("h2"), SubmittedAt: ts("2026-11-20T11:00:00+01:00")},
		{ID: github.Int64(3), User: &github.User{Login: github.String("eve")}, State: github.String("COMMENTED"), SubmittedAt: ts("2026-11-20T10:00:00Z")},
		{ID: github.Int64(2), User: &github.User{Login: github.String("dan")}, State: github.String("changes_requested"), SubmittedAt: ts("2026-11-20T10:00:00Z")},
		{ID: github.Int64(1), User: &github.User{Login: github.String("pam")}, State: github.String("PENDING")},
	}
	want := []policy.Review{
		{ID: 1, User: "pam", State: "PENDING"},
		{ID: 2, User: "dan", State: "CHANGES_REQUESTED", SubmittedAt: "2026-11-20T10:00:00Z"},
		{ID: 3, User: "eve", State: "COMMENTED", SubmittedAt: "2026-11-20T10:00:00Z"},
		{ID: 9, User: "bob", State: "APPROVED", CommitID: "h2", SubmittedAt: "2026-11-20T10:00:00Z"},
	}
	if got := convertReviews(in); !reflect.DeepEqual(got, want) {
		t.Errorf("convertReviews =\n%#v\nwant\n%#v", got, want)
	}
}

func TestConvertChecksOrder(t *testing.T) {
	runs := []*github.CheckRun{
		{ID: github.Int64(20), Name: github.String("test"), Status: github.String("in_progress"), StartedAt: ts("2026-11-20T10:00:00Z"), App: &github.App{ID: github.Int64(15368), Slug: github.String("github-actions")}},
		{ID: github.Int64(10), Name: github.String("build"), Status: github.String("completed"), Conclusion: github.String("success"), StartedAt: ts("2026-11-20T09:00:00Z"), CompletedAt: ts("2026-11-20T09:05:00Z"), App: &github.App{ID: github.Int64(15368), Slug: github.String("github-actions")}},
	}
	statuses := []*github.RepoStatus{
		{ID: github.Int64(7), Context: github.String("build"), State: github.String("failure"), Creator: &github.User{Login: github.String("mallory")}, CreatedAt: ts("2026-11-20T09:06:00Z"), UpdatedAt: ts("2026-11-20T09:07:00Z")},
		{ID: github.Int64(5), Context: github.String("ci/legacy"), State: github.String("pending"), Creator: &github.User{Login: github.String("jenkins")}, CreatedAt: ts("2026-11-20T08:00:00Z")},
		{ID: github.Int64(6), Context: github.String("ci/legacy"), State: github.String("success"), Creator: &github.User{Login: github.String("jenkins")}, UpdatedAt: ts("2026-11-20T08:30:00Z")},
	}
	want := []policy.Check{
		{Name: "build", Source: "check_run", App: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success", ID: 10, UpdatedAt: "2026-11-20T09:05:00Z"},
		{Name: "build", Source: "status", State: "failure", Creator: "mallory", ID: 7, UpdatedAt: "2026-11-20T09:07:00Z"},
		{Name: "ci/legacy", Source: "status", State: "pending", Creator: "jenkins", ID: 5, UpdatedAt: "2026-11-20T08:00:00Z"},
		{Name: "ci/legacy", Source: "status", State: "success", Creator: "jenkins", ID: 6, UpdatedAt: "2026-11-20T08:30:00Z"},
		{Name: "test", Source: "check_run", App: "github-actions", AppID: 15368, Status: "in_progress", ID: 20, UpdatedAt: "2026-11-20T10:00:00Z"},
	}
	if got := convertChecks(runs, statuses); !reflect.DeepEqual(got, want) {
		t.Errorf("convertChecks =\n%#v\nwant\n%#v", got, want)
	}
}

func TestFilterPushes(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	paris := time.FixedZone("CET", 3600)
	pushes := []store.Push{
		{Before: "0", After: "old", Pusher: "zed", At: at("2026-11-19T09:00:00Z")},                       // force-pushed away
		{Before: "c1", After: "c2", Pusher: "alice", At: at("2026-11-20T10:00:05Z"), DeliveryID: "sync"}, // same push, later delivery
		{Before: "c1", After: "c2", Pusher: "alice", At: at("2026-11-20T10:00:00Z"), DeliveryID: "push"},
		{Before: "c2", After: "head", Pusher: "bob", At: at("2026-11-20T12:00:00Z").In(paris)},
		{Before: "0", After: "c1", Pusher: "alice", At: at("2026-11-20T09:00:00Z")},
	}
	shas := map[string]bool{"c1": true, "c2": true, "head": true}
	want := []policy.Push{
		{Before: "0", After: "c1", Pusher: "alice", At: "2026-11-20T09:00:00Z"},
		{Before: "c1", After: "c2", Pusher: "alice", At: "2026-11-20T10:00:00Z"},
		{Before: "c2", After: "head", Pusher: "bob", At: "2026-11-20T12:00:00Z"},
	}
	if got := filterPushes(pushes, shas, 0, time.Time{}); !reflect.DeepEqual(got, want) {
		t.Errorf("filterPushes =\n%#v\nwant\n%#v", got, want)
	}
	if got := filterPushes(nil, shas, 0, time.Time{}); got == nil || len(got) != 0 {
		t.Errorf("filterPushes(nil) = %#v, want empty non-nil", got)
	}
}

func TestFileNames(t *testing.T) {
	in := []*github.CommitFile{
		{Filename: github.String("z.go")},
		{Filename: github.String("docs/moved.go"), PreviousFilename: github.String("src/moved.go"), Status: github.String("renamed")},
		{Filename: github.String("a.go")},
		{Filename: github.String("a.go")},
	}
	want := []string{"a.go", "docs/moved.go", "src/moved.go", "z.go"}
	if got := fileNames(in); !reflect.DeepEqual(got, want) {
		t.Errorf("fileNames = %v, want %v", got, want)
	}
}

func TestConvertCommitsCoAuthors(t *testing.T) {
	user := func(l string) *github.User { return &github.User{Login: github.String(l)} }
	commit := func(sha, author, authorEmail, committer, committerEmail, msg string, parents ...string) *github.RepositoryCommit {
		c := &github.RepositoryCommit{SHA: github.String(sha), Commit: &github.Commit{
			Message:   github.String(msg),
			Author:    &github.CommitAuthor{Email: github.String(authorEmail)},
			Committer: &github.CommitAuthor{Email: github.String(committerEmail)},
		}}
		if author != "" {
			c.Author = user(author)
		}
		if committer != "" {
			c.Committer = user(committer)
		}
		for _, p := range parents {
			c.Parents = append(c.Parents, &github.Commit{SHA: github.String(p)})
		}
		return c
	}
	in := []*github.RepositoryCommit{
		commit("c1", "alice", "alice@corp.example", "web-flow", "noreply@github.com",
			"one\n\nCo-authored-by: Bobby <bob@corp.example>\nCo-authored-by: C <99+carol@users.noreply.github.com>", "b0"),
		commit("c2", "bob", "bob@corp.example", "", "unknown@corp.example",
			"two\n\nCo-authored-by: Dee Writer <dee@nowhere.example>\nCo-authored-by: Alice Again <ALICE@corp.example>", "c1"),
	}
	got := convertCommits(in)
	want := []policy.Commit{
		{SHA: "c1", Parents: []string{"b0"}, Author: "alice", Committer: "web-flow", CoAuthors: []string{"bob", "carol"}, Message: in[0].GetCommit().GetMessage(),
			AuthorEmail: "alice@corp.example", CommitterEmail: "noreply@github.com"},
		{SHA: "c2", Parents: []string{"c1"}, Author: "bob", Committer: "", CoAuthors: []string{"Dee Writer", "alice"}, Message: in[1].GetCommit().GetMessage(),
			AuthorEmail: "bob@corp.example", CommitterEmail: "unknown@corp.example"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("convertCommits =\n%#v\nwant\n%#v", got, want)
	}
}

func TestLRU(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newLRU[int](2)
	c.put("a", 1, zeroTime)
	c.put("b", 2, now.Add(time.Minute))
	if v, ok := c.get("b", now.Add(59*time.Second)); !ok || v != 2 {
		t.Fatalf("b within TTL = %v, %v", v, ok)
	}
	if _, ok := c.get("b", now.Add(time.Minute)); ok {
		t.Fatal("b after TTL still cached")
	}
	c.put("b", 2, zeroTime)
	c.get("a", now) // a is now most recent
	c.put("c", 3, zeroTime)
	if _, ok := c.get("b", now); ok {
		t.Error("least recently used b not evicted")
	}
	if _, ok := c.get("a", now); !ok {
		t.Error("a evicted")
	}
	c.deleteSuffix("a")
	if _, ok := c.get("a", now); ok {
		t.Error("deleteSuffix kept a")
	}
}

// TestSquashForcePushKeepsPushersFilter: a push recorded for the PR, or to its branch since
// it opened, keeps its pusher even when its commit was squashed or force-pushed away.
func TestSquashForcePushKeepsPushersFilter(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	opened := at("2026-11-20T09:00:00Z")
	shas := map[string]bool{"squash": true}
	tests := []struct {
		name     string
		push     store.Push
		number   int
		openedAt time.Time
		keep     bool
	}{
		{name: "synchronize of this PR, commit gone", push: store.Push{PR: 7, After: "gone", Pusher: "bob", At: at("2026-11-20T10:00:00Z")}, number: 7, keep: true},
		{name: "synchronize of another PR, commit gone", push: store.Push{PR: 8, After: "gone", Pusher: "bob", At: at("2026-11-20T10:00:00Z")}, number: 7},
		{name: "branch push after opening, commit gone", push: store.Push{After: "gone", Pusher: "bob", At: at("2026-11-20T10:00:00Z")}, number: 7, openedAt: opened, keep: true},
		{name: "branch push before opening, commit gone", push: store.Push{After: "gone", Pusher: "zed", At: at("2026-11-19T10:00:00Z")}, number: 7, openedAt: opened},
		{name: "fork PR: branch push without PR, commit gone", push: store.Push{After: "gone", Pusher: "zed", At: at("2026-11-20T10:00:00Z")}, number: 7},
		{name: "push of a remaining commit", push: store.Push{After: "squash", Pusher: "alice", At: at("2026-11-19T10:00:00Z")}, number: 7, keep: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterPushes([]store.Push{tc.push}, shas, tc.number, tc.openedAt)
			if (len(got) == 1) != tc.keep {
				t.Errorf("kept %v, want %v", got, tc.keep)
			}
		})
	}
}
