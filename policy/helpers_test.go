package policy

import (
	"strings"
	"testing"
)

// Test SHAs are 40 characters so that shortening to 7 is exercised.
const (
	sha1 = "a100000000000000000000000000000000000001"
	sha2 = "a200000000000000000000000000000000000002"
	sha3 = "a300000000000000000000000000000000000003"
)

// baseFacts is a small PR: alice wrote h1 and h3 herself, frank's h2 went through the
// web UI (committer web-flow), carol co-authored h1, alice pushed h1..h2 and dave h3.
func baseFacts() Facts {
	return Facts{
		Repository: "acme/payments",
		PullRequest: PullRequest{Number: 1, Title: "PAY-12 fix rounding", Body: "body", Author: "alice",
			State: "open", Base: GitRef{Ref: "main", SHA: "b0"}, Head: GitRef{Ref: "feature/x", SHA: sha3}},
		Commits: []Commit{
			{SHA: sha1, Author: "alice", Committer: "alice", CoAuthors: []string{"carol"}, Message: "one"},
			{SHA: sha2, Author: "frank", Committer: "web-flow", Message: "two"},
			{SHA: sha3, Author: "alice", Committer: "alice", Message: "three"},
		},
		Pushes: []Push{
			{Before: "b0", After: sha2, Pusher: "alice", At: "2026-11-20T10:00:00Z"},
			{Before: sha2, After: sha3, Pusher: "dave", At: "2026-11-20T10:02:00Z"},
		},
		Checks:       []Check{},
		ChangedFiles: []string{"src/a.go"},
		Users: map[string]User{
			"bob":   {Permission: "write", Teams: []string{"acme/rev"}},
			"carol": {Permission: "write", Teams: []string{"acme/rev"}},
			"dave":  {Permission: "admin", Teams: []string{"acme/rev"}},
			"erin":  {Permission: "write"},
			"frank": {Permission: "write", Teams: []string{"acme/rev"}},
			"rita":  {Permission: "read", Teams: []string{"acme/rev"}},
			"alice": {Permission: "write", Teams: []string{"acme/rev"}},
		},
	}
}

func rev(id int64, user, state, sha, at string) Review {
	return Review{ID: id, User: user, State: state, CommitID: sha, SubmittedAt: "2026-11-20T" + at + "Z"}
}

func run(id int64, name, app, status, conclusion, at string) Check {
	return Check{ID: id, Name: name, Source: "check_run", App: app, Status: status, Conclusion: conclusion, UpdatedAt: "2026-11-20T" + at + "Z"}
}

func status(id int64, name, creator, state, at string) Check {
	return Check{ID: id, Name: name, Source: "status", Creator: creator, State: state, UpdatedAt: "2026-11-20T" + at + "Z"}
}

func mustParse(t testing.TB, src string) *Policy {
	t.Helper()
	p, err := Parse("test.yml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	return p
}

// allText is every human sentence of a decision, one per line, for substring checks.
func allText(d Decision) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	for _, r := range d.Rules {
		b.WriteString(r.Reason + "\n")
		for _, q := range r.Requirements {
			b.WriteString(q.Reason + "\n")
			for _, e := range q.Evidence {
				b.WriteString(e.Text + "\n")
			}
		}
	}
	return b.String()
}
