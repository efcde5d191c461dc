package facts

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/policy"
)

func TestPullsForCommit(t *testing.T) {
	e := newEnv(t)
	for _, n := range []int{9, 3, 5} {
		e.repo.SetPR(githubtest.PR{Number: n, Author: "alice", HeadRef: "f", HeadSHA: "m1", Commits: []string{"m1"}, Merged: true})
	}
	e.repo.SetCommitPulls("m1", 9, 3, 5)
	pulls, st, err := New().PullsForCommit(context.Background(), e.client, "acme", "payments", "m1")
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, p := range pulls {
		got = append(got, p.GetNumber())
	}
	if !reflect.DeepEqual(got, []int{3, 5, 9}) || st.Requests != 1 {
		t.Errorf("pulls = %v (stats %+v), want [3 5 9] in 1 request", got, st)
	}
}

func TestCheckResults(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	checks, st, err := New().CheckResults(context.Background(), e.client, "acme", "payments", "h3")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range checks {
		names = append(names, c.Name+"/"+c.Source)
	}
	want := []string{"build/check_run", "build/status", "ci/legacy/status", "ci/legacy/status", "lint/check_run"}
	if !reflect.DeepEqual(names, want) || st.Requests != 2 {
		t.Errorf("checks = %v (stats %+v), want %v in 2 requests", names, st, want)
	}
	if c := checks[0]; c != (policy.Check{Name: "build", Source: "check_run", App: "github-actions", AppID: 15368,
		Status: "completed", Conclusion: "success", ID: c.ID, UpdatedAt: "2026-11-20T10:09:00Z"}) {
		t.Errorf("build check run = %+v", c)
	}
}

func TestErrorsNameTheCallAndClassify(t *testing.T) {
	tests := []struct {
		name      string
		method    string
		pattern   string
		status    int
		headers   map[string]string
		wantMsg   string
		transient bool
		retry     bool
	}{
		{"reviews 502", "GET", "/repos/acme/payments/pulls/*/reviews", 502, nil, "list reviews of acme/payments#42", true, false},
		{"compare 502", "GET", "/repos/acme/payments/compare/*", 502, nil, "compare b1...h3 of acme/payments#42", true, false},
		{"compare primary limit", "GET", "/repos/acme/payments/compare/*", 403, map[string]string{"X-Ratelimit-Remaining": "0"}, "compare b1...h3 of acme/payments#42", true, true},
		{"compare secondary limit", "GET", "/repos/acme/payments/compare/*", 429, map[string]string{"Retry-After": "30"}, "compare b1...h3 of acme/payments#42", true, true},
		// After compare's 404 (the base SHA is unknown), the PR endpoints are read.
		{"commits 404", "GET", "/repos/acme/payments/pulls/*/commits", 404, nil, "list commits of acme/payments#42", false, false},
		{"files secondary limit", "GET", "/repos/acme/payments/pulls/*/files", 403, map[string]string{"Retry-After": "30"}, "list files of acme/payments#42", true, true},
		{"statuses primary limit", "GET", "/repos/acme/payments/commits/*/statuses", 429, map[string]string{"X-Ratelimit-Remaining": "0"}, "list statuses of acme/payments@h3", true, true},
		{"PR 500", "GET", "/repos/acme/payments/pulls/42", 500, nil, "get pull request acme/payments#42", true, false},
		{"permission 403 (no access)", "GET", "/repos/acme/payments/collaborators/*/permission", 403, nil, "get permission of bob on acme/payments", false, false},
		{"membership 500", "GET", "/orgs/acme/teams/*/memberships/*", 500, nil, "get membership of bob in team acme/payments-reviewers", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			seedFull(e)
			if strings.Contains(tt.pattern, "/pulls/*/") {
				e.s.Fail("GET", "/repos/acme/payments/compare/*", 404, 1, nil)
			}
			e.s.Fail(tt.method, tt.pattern, tt.status, 1, tt.headers)
			_, _, err := New().PullRequest(context.Background(), e.client, "acme", "payments", 42, PROptions{
				NeedUsers: func(policy.Facts) []string { return []string{"bob"} }, Teams: []string{"acme/payments-reviewers"}})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not name %q", err, tt.wantMsg)
			}
			if IsTransient(err) != tt.transient {
				t.Errorf("IsTransient(%v) = %v, want %v", err, !tt.transient, tt.transient)
			}
			if _, ok := RetryAfter(err); ok != tt.retry {
				t.Errorf("RetryAfter ok = %v, want %v", ok, tt.retry)
			}
			if errors.Unwrap(err) == nil {
				t.Errorf("error %q wraps nothing", err)
			}
		})
	}
}
