package facts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// pullStateEnv is a PR with reviews (one by a bot), check runs of two apps (one re-run)
// and statuses, and collaborators with several permissions.
func pullStateEnv(t *testing.T) (*env, githubtest.PR) {
	t.Helper()
	e := newEnv(t)
	p := e.addLinearPR(7, 3, "alice", []string{"a.go"})
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	e.repo.AddReview(7, githubtest.Review{User: "bob", State: "APPROVED", CommitID: p.HeadSHA, SubmittedAt: at})
	e.repo.AddReview(7, githubtest.Review{User: "renovate[bot]", State: "COMMENTED", CommitID: p.HeadSHA, SubmittedAt: at.Add(time.Minute)})
	e.repo.AddReview(7, githubtest.Review{User: "rita", State: "CHANGES_REQUESTED", CommitID: "c0001", SubmittedAt: at.Add(-time.Hour)})
	for _, c := range []githubtest.CheckRun{
		{Name: "build", AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "failure", StartedAt: at, CompletedAt: at.Add(time.Minute)},
		{Name: "build", AppSlug: "github-actions", AppID: 15368, Status: "completed", Conclusion: "success", StartedAt: at.Add(2 * time.Minute), CompletedAt: at.Add(3 * time.Minute)},
		{Name: "lint", AppSlug: "github-actions", AppID: 15368, Status: "in_progress", StartedAt: at},
		{Name: "scan", AppSlug: "scanner", AppID: 999, Status: "completed", Conclusion: "action_required", StartedAt: at, CompletedAt: at},
	} {
		e.repo.AddCheckRun(p.HeadSHA, c)
	}
	e.repo.AddStatus(p.HeadSHA, githubtest.Status{Context: "deploy/preview", State: "failure", Creator: "mallory"})
	e.repo.AddStatus(p.HeadSHA, githubtest.Status{Context: "deploy/preview", State: "success", Creator: "ci-bot"})
	e.repo.SetPermission("bob", "write")
	e.repo.SetPermission("bobby", "admin") // "bob" matches it as a substring: the exact login is picked
	e.repo.SetPermission("rita", "triage")
	e.repo.SetPermission("mia", "maintain")
	return e, p
}

// The GraphQL read gives exactly what the REST reads give: the same reviews, the same
// check results once merged with the REST statuses, and the same permissions.
func TestPullStateMatchesREST(t *testing.T) {
	e, p := pullStateEnv(t)
	ctx := context.Background()
	g := New()
	ps, st, err := g.PullState(ctx, e.client, e.s.GraphQLURL, testOwner, testRepoName, 7, []string{"bob", "rita", "mia", "zoe", "Eve Outside"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests != 1 {
		t.Errorf("%d requests, want 1", st.Requests)
	}
	if ps.Number != 7 || ps.State != "open" || ps.Merged || ps.Title != p.Title || ps.Author != "alice" ||
		ps.HeadSHA != p.HeadSHA || ps.HeadRef != p.HeadRef || ps.BaseRef != "main" {
		t.Errorf("pull request fields: %+v", ps)
	}
	var rst Stats
	restReviews, err := prReviews(ctx, e.client, testOwner, testRepoName, 7, &rst)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ps.Reviews, restReviews) {
		t.Errorf("reviews differ from REST:\n%+v\n%+v", ps.Reviews, restReviews)
	}
	restChecks, err := checkResults(ctx, e.client, testOwner, testRepoName, p.HeadSHA, &rst)
	if err != nil {
		t.Fatal(err)
	}
	statuses, _, err := g.Statuses(ctx, e.client, testOwner, testRepoName, p.HeadSHA)
	if err != nil {
		t.Fatal(err)
	}
	if got := ChecksOf(ps.CheckRuns, statuses); !reflect.DeepEqual(got, restChecks) {
		t.Errorf("checks differ from REST:\n%+v\n%+v", got, restChecks)
	}
	users, err := New().users(ctx, e.client, testOwner, testRepoName, []string{"bob", "rita", "mia", "zoe"}, nil, false, &rst)
	if err != nil {
		t.Fatal(err)
	}
	for login, want := range map[string]string{"bob": "write", "rita": "triage", "mia": "maintain"} {
		if got, ok := g.permissions.get(permissionKey(testOwner, testRepoName, login), g.now()); !ok || got != want || users[login].Permission != want {
			t.Errorf("%s: GraphQL cached %q (%v), REST says %q, want %q", login, got, ok, users[login].Permission, want)
		}
	}
	if _, ok := g.permissions.get(permissionKey(testOwner, testRepoName, "zoe"), g.now()); ok {
		t.Error("zoe is no collaborator: her permission must be left to REST, not cached")
	}
}

// Lists longer than one page are not guessed at: that part is nil, for REST to read.
func TestPullStateLongListsLeftToREST(t *testing.T) {
	for _, tc := range []struct {
		name        string
		reviews     int
		runs        int
		wantReviews bool
		wantChecks  bool
	}{
		{"one page each", 100, 100, true, true},
		{"101 reviews", 101, 1, false, true},
		{"101 runs of one app", 1, 101, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.addLinearPR(9, 1, "alice", nil)
			for i := range tc.reviews {
				e.repo.AddReview(9, githubtest.Review{User: fmt.Sprintf("u%d", i), State: "COMMENTED", CommitID: p.HeadSHA, SubmittedAt: time.Now()})
			}
			for i := range tc.runs {
				e.repo.AddCheckRun(p.HeadSHA, githubtest.CheckRun{Name: fmt.Sprintf("c%d", i), Status: "completed", Conclusion: "success"})
			}
			ps, _, err := New().PullState(context.Background(), e.client, e.s.GraphQLURL, testOwner, testRepoName, 9, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (ps.Reviews != nil) != tc.wantReviews || (ps.Reviews != nil && len(ps.Reviews) != tc.reviews) {
				t.Errorf("reviews: %d (nil %v), want complete=%v", len(ps.Reviews), ps.Reviews == nil, tc.wantReviews)
			}
			if (ps.CheckRuns != nil) != tc.wantChecks || (ps.CheckRuns != nil && len(ps.CheckRuns) != tc.runs) {
				t.Errorf("check runs: %d (nil %v), want complete=%v", len(ps.CheckRuns), ps.CheckRuns == nil, tc.wantChecks)
			}
		})
	}
}

// How failures are classified: a server without GraphQL is "unavailable" (fall back and
// pause), a 502 is transient (retried, never a fallback that hides it), an unknown PR is
// unusable for this read.
func TestPullStateErrors(t *testing.T) {
	for _, tc := range []struct {
		name                             string
		setup                            func(*env)
		number                           int
		unusable, unavailable, transient bool
	}{
		{"no GraphQL", func(e *env) { e.s.DisableGraphQL() }, 7, true, true, false},
		{"502", func(e *env) { e.s.Fail("POST", "/graphql", 502, 1, nil) }, 7, false, false, true},
		{"unknown PR", func(*env) {}, 404, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := pullStateEnv(t)
			tc.setup(e)
			_, _, err := New().PullState(context.Background(), e.client, e.s.GraphQLURL, testOwner, testRepoName, tc.number, []string{"bob"})
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrGraphQLUnusable) != tc.unusable || GraphQLUnavailable(err) != tc.unavailable || IsTransient(err) != tc.transient {
				t.Errorf("%v: unusable %v unavailable %v transient %v, want %v %v %v", err,
					errors.Is(err, ErrGraphQLUnusable), GraphQLUnavailable(err), IsTransient(err), tc.unusable, tc.unavailable, tc.transient)
			}
		})
	}
}

// FuzzPullStateAnswer: whatever GitHub (or something in between) answers, converting it
// never panics, and a partial answer never claims complete lists it does not hold.
func FuzzPullStateAnswer(f *testing.F) {
	f.Add([]byte(`{"number":1,"state":"OPEN","headRefOid":"abc","author":null,"reviews":{"pageInfo":{"hasNextPage":false},"nodes":[null,{"databaseId":5,"state":"APPROVED","author":{"__typename":"Bot","login":"x"}}]},"commits":{"nodes":[{"commit":{"oid":"abc","checkSuites":{"pageInfo":{"hasNextPage":false},"nodes":[null,{"app":null,"checkRuns":{"nodes":[null,{"databaseId":99999999999,"name":"b","status":"COMPLETED","conclusion":null}]}}]}}}]}}`))
	f.Add([]byte(`{"commits":{"nodes":[null]}}`))
	f.Add([]byte(`{"reviews":{"pageInfo":{"hasNextPage":true},"nodes":[]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p *gqlPull
		if json.Unmarshal(data, &p) != nil || p == nil {
			return
		}
		ps := pullStateOf(p)
		if p.Reviews != nil && p.Reviews.PageInfo.HasNextPage && ps.Reviews != nil {
			t.Error("reviews with a next page taken as complete")
		}
		if ps.CheckRuns != nil && (len(p.Commits.Nodes) != 1 || p.Commits.Nodes[0] == nil || p.Commits.Nodes[0].Commit.Oid != p.HeadRefOid) {
			t.Error("check runs of a commit that is not the head")
		}
	})
}
