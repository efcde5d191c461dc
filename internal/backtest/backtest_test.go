package backtest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

const repo = "acme/payments"

func mustPolicy(t *testing.T, src string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse("candidate.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// candidate requires two approvals, in Rego: stricter than what the recorded merges met.
const candidate = `version: 1
rules:
  - name: two approvals
    branches: [main]
    rego:
      module: |
        package two
        approvers := {r.user | some r in input.reviews; r.state == "APPROVED"; r.user != input.pull_request.author}
        deny contains sprintf("needs 2 approvals, has %d", [count(approvers)]) if count(approvers) < 2
`

func prFacts(number int, head string, approvers ...string) policy.Facts {
	f := policy.Facts{Version: policy.FactsVersion, Repository: repo,
		PullRequest: policy.PullRequest{Number: number, Author: "alice", State: "closed", Merged: true,
			Base: policy.GitRef{Ref: "main", SHA: "b0"}, Head: policy.GitRef{Ref: "f", SHA: head}}}
	for i, a := range approvers {
		f.Reviews = append(f.Reviews, policy.Review{ID: int64(i + 1), User: a, State: "APPROVED", CommitID: head})
	}
	return f
}

func appendRecord(t *testing.T, st store.Store, r store.Record, details any) {
	t.Helper()
	b, err := json.Marshal(details)
	if err != nil {
		t.Fatal(err)
	}
	r.Facts, r.Repository = b, repo
	if _, err := st.Append(context.Background(), r); err != nil {
		t.Fatal(err)
	}
}

func TestBacktestFromAudit(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "audit.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	decision := func(pr int, head string, f policy.Facts) {
		appendRecord(t, st, store.Record{Kind: store.KindPRDecision, PR: pr, SHA: head, Outcome: "pass", Decision: json.RawMessage(`{}`)}, f)
	}
	merge := func(pr int, head, at string) {
		appendRecord(t, st, store.Record{Kind: store.KindMerge, PR: pr, SHA: "m" + head, Outcome: "pass"},
			map[string]string{"head_sha": head, "merged_at": at})
	}
	decision(1, "h1", prFacts(1, "h1", "bob"))
	merge(1, "h1", "2026-11-20T10:00:00Z")
	decision(2, "h2", prFacts(2, "h2", "bob", "carol"))
	merge(2, "h2", "2026-11-21T10:00:00Z")
	merge(3, "h3", "2026-11-22T10:00:00Z") // merged without a decision on its head

	now := time.Now().UTC().Add(time.Hour)
	changes, first, err := FromAudit(ctx, st, repo, time.Time{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if first.IsZero() || len(changes) != 3 {
		t.Fatalf("first %v, %d changes: %+v", first, len(changes), changes)
	}
	r := Run(mustPolicy(t, candidate), repo, time.Time{}, now, changes, "")
	if r.Failed != 1 || r.Passed != 1 || r.NoFacts != 1 || r.Changed != 1 || r.WouldBlock() != 1 {
		t.Fatalf("report %+v", r)
	}
	if got := r.Results[0]; got.PR != 1 || got.Decision.Title != "needs 2 approvals, has 1" || got.Recorded != "pass" {
		t.Fatalf("first result %+v", got)
	}
	if got := r.Results[2]; got.PR != 3 || !strings.Contains(got.NoFacts, "no decision with facts") {
		t.Fatalf("third result %+v", got)
	}
}

// TestBacktestFromGitHub: changes merged before foureyes was installed come from GitHub,
// and the backtest stops at the rate-limit reserve instead of spending it.
func TestBacktestFromGitHub(t *testing.T) {
	s := githubtest.New(t)
	s.AddInstallation(42, "acme")
	r := s.AddRepo(repo, 42)
	for i, approvers := range [][]string{{"bob"}, {"bob", "carol"}, {"carol"}} {
		n := 10 + i
		head := "h" + string(rune('a'+i))
		r.AddCommit(githubtest.Commit{SHA: head, Parents: []string{"base0"}, Author: "alice", Committer: "alice", Message: "change"})
		r.SetPR(githubtest.PR{Number: n, Author: "alice", BaseRef: "main", BaseSHA: "base0", HeadRef: "f" + head, HeadSHA: head,
			Commits: []string{head}, Files: []string{"a.go"}, Merged: true, MergedAt: time.Date(2026, 10, 1+i, 12, 0, 0, 0, time.UTC)})
		for _, a := range approvers {
			r.AddReview(n, githubtest.Review{User: a, State: "APPROVED", CommitID: head})
		}
	}
	client, err := s.ClientCreator(t).NewInstallationClient(42)
	if err != nil {
		t.Fatal(err)
	}
	p := mustPolicy(t, candidate)
	since, before := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	g := GitHub{Client: client, Gatherer: facts.New(), Reserve: 0, PerChange: 1}
	changes, incomplete, err := g.Merged(context.Background(), repo, since, before, map[int]bool{12: true}, p)
	if err != nil || incomplete != "" {
		t.Fatalf("err %v, incomplete %q", err, incomplete)
	}
	rep := Run(p, repo, since, before, changes, incomplete)
	if len(rep.Results) != 2 || rep.Failed != 1 || rep.Passed != 1 || rep.Results[0].PR != 10 || rep.Results[0].Source != SourceGitHub {
		t.Fatalf("report %+v", rep)
	}

	// A reserve above what is left: nothing is gathered, and the report says why.
	s.SetRateLimit(100)
	g.Reserve = 5000
	changes, incomplete, err = g.Merged(context.Background(), repo, since, before, nil, p)
	if err != nil || len(changes) != 0 || !strings.Contains(incomplete, "stopped at GitHub's rate limit") || !strings.Contains(incomplete, "3 merged changes not evaluated") {
		t.Fatalf("changes %d, incomplete %q, err %v", len(changes), incomplete, err)
	}
}
