package facts

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

var t0 = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

// seedFull builds PR 42 on base b1: three commits by alice (one made on github.com, one
// whose author e-mail GitHub cannot map), co-author trailers of every kind, reviews, check
// runs of two apps, statuses by two creators, and a rename.
func seedFull(e *env) {
	r := e.repo
	r.AddCommit(githubtest.Commit{SHA: "b1", Author: "carol", Committer: "carol", Message: "base", Date: t0.Add(-time.Hour)})
	r.AddCommit(githubtest.Commit{SHA: "h1", Parents: []string{"b1"}, Author: "alice", Committer: "alice", AuthorEmail: "alice@corp.example",
		Message: "PAY-12 start\n\nCo-authored-by: Carol C <12345+carol@users.noreply.github.com>\nCo-authored-by: Bob B <bob@corp.example>", Date: t0})
	r.AddCommit(githubtest.Commit{SHA: "h2", Parents: []string{"h1"}, Author: "", Committer: "alice", AuthorEmail: "alice@laptop.local", CommitterEmail: "alice@corp.example",
		Message: "PAY-12 wip\n\nCo-authored-by: Eve Outside <eve@elsewhere.example>\nco-authored-by: dan <dan@users.noreply.github.com>", Date: t0.Add(time.Minute)})
	r.AddCommit(githubtest.Commit{SHA: "h3", Parents: []string{"h2"}, Author: "bob", Committer: "web-flow", AuthorEmail: "bob@corp.example",
		Message: "Apply suggestions from code review", Verified: true, Date: t0.Add(2 * time.Minute)})
	r.SetPR(githubtest.PR{Number: 42, Title: "PAY-12 fix rounding", Body: "Rounds half-even.", Author: "alice",
		BaseRef: "main", BaseSHA: "b1", HeadRef: "feature/pay-12", HeadSHA: "h3", Commits: []string{"h1", "h2", "h3"},
		Files:      []string{"src/round.go", "docs/rounding.md", "src/money/new.go"},
		FileStatus: map[string]string{"src/money/new.go": "added"}})
	r.AddReview(42, githubtest.Review{ID: 30, User: "frank", State: "COMMENTED", CommitID: "h3", SubmittedAt: t0.Add(3 * time.Hour)})
	r.AddReview(42, githubtest.Review{ID: 20, User: "erin", State: "CHANGES_REQUESTED", CommitID: "h2", SubmittedAt: t0.Add(time.Hour)})
	r.AddReview(42, githubtest.Review{ID: 25, User: "bob", State: "APPROVED", CommitID: "h3", SubmittedAt: t0.Add(2 * time.Hour)})
	r.AddCheckRun("h3", githubtest.CheckRun{Name: "build", Status: "completed", Conclusion: "success", StartedAt: t0.Add(5 * time.Minute), CompletedAt: t0.Add(9 * time.Minute)})
	r.AddCheckRun("h3", githubtest.CheckRun{Name: "lint", AppSlug: "lint-app", AppID: 777, Status: "in_progress", StartedAt: t0.Add(6 * time.Minute)})
	r.AddStatus("h3", githubtest.Status{Context: "ci/legacy", State: "pending", Creator: "jenkins-bot", CreatedAt: t0.Add(5 * time.Minute), UpdatedAt: t0.Add(5 * time.Minute)})
	r.AddStatus("h3", githubtest.Status{Context: "ci/legacy", State: "success", Creator: "jenkins-bot", CreatedAt: t0.Add(8 * time.Minute), UpdatedAt: t0.Add(8 * time.Minute)})
	r.AddStatus("h3", githubtest.Status{Context: "build", State: "success", Creator: "mallory", CreatedAt: t0.Add(7 * time.Minute), UpdatedAt: t0.Add(7 * time.Minute)})
	r.SetPermission("bob", "write")
	r.SetPermission("erin", "maintain")
	r.SetPermission("frank", "triage")
	e.s.SetTeamMembers("acme", "payments-reviewers", "bob", "frank")
	e.s.SetTeamMembers("acme", "admins", "erin")
}

// fullPushes are the store's pushes of the PR branch: two for h2 (push and synchronize
// deliveries), one to a commit force-pushed away, one for the head.
var fullPushes = []store.Push{
	{Repo: "acme/payments", Ref: "feature/pay-12", Before: "0000", After: "gone", Pusher: "zed", At: t0.Add(-time.Hour), DeliveryID: "d0"},
	{Repo: "acme/payments", Ref: "feature/pay-12", Before: "0000", After: "h2", Pusher: "alice", At: t0.Add(90 * time.Second), DeliveryID: "d1"},
	{Repo: "acme/payments", Ref: "feature/pay-12", PR: 42, Before: "0000", After: "h2", Pusher: "alice", At: t0.Add(91 * time.Second), DeliveryID: "d2"},
	{Repo: "acme/payments", Ref: "feature/pay-12", PR: 42, Before: "h2", After: "h3", Pusher: "bob", At: t0.Add(150 * time.Second).In(time.FixedZone("X", 7200)), DeliveryID: "d3"},
}

// reviewers is a NeedUsers like the policy's: reviewers and co-authors.
func reviewers(f policy.Facts) []string {
	var out []string
	for _, r := range f.Reviews {
		out = append(out, r.User)
	}
	for _, c := range f.Commits {
		out = append(out, c.CoAuthors...)
	}
	return out
}

func fullOptions() PROptions {
	return PROptions{Pushes: fullPushes, NeedUsers: reviewers, Teams: []string{"acme/payments-reviewers", "acme/admins"}}
}

func TestPullRequestFullGather(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	g := New()
	f, st, err := g.PullRequest(context.Background(), e.client, "acme", "payments", 42, fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "pr_full.golden.json", f)

	// PR, compare (commits and files), reviews, check runs, statuses, the public profiles
	// of the three reviewers (the trailer "Eve Outside" is unresolved: a profile might
	// resolve it), then for bob, carol, dan, erin, frank one permission and two memberships
	// each; "Eve Outside" is not a login.
	wantRequests := 5 + 3 + 5*3
	if !reflect.DeepEqual(st, Stats{Requests: wantRequests}) {
		t.Errorf("stats = %+v, want %d requests", st, wantRequests)
	}
	for _, path := range e.apiRequests("/permission") {
		if strings.Contains(path, "Eve") {
			t.Errorf("looked up a name that is not a login: %s", path)
		}
	}
}

func TestPullRequestUsesGivenPR(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	g := New()
	// The webhook's PR object, as GitHub renders it.
	pr := prFromFake(t, e, 42)
	e.s.ResetRequests()
	f, _, err := g.PullRequest(context.Background(), e.client, "acme", "payments", 42, PROptions{PR: pr})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.apiRequests("/pulls/42?"); len(got) != 0 {
		t.Errorf("fetched the PR although it was given: %v", got)
	}
	if f.PullRequest.Head.SHA != "h3" || f.PullRequest.Author != "alice" {
		t.Errorf("pull_request = %+v", f.PullRequest)
	}
	if len(f.Users) != 0 || f.Users == nil {
		t.Errorf("users without NeedUsers = %#v, want empty map", f.Users)
	}
}

func TestPullRequestSecondGatherIsFree(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	g := New()
	ctx := context.Background()
	first, _, err := g.PullRequest(ctx, e.client, "acme", "payments", 42, fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	e.s.ResetRequests()
	charged := e.s.RateLimitedRequests()

	second, st, err := g.PullRequest(ctx, e.client, "acme", "payments", 42, fullOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("second gather differs:\n%+v\n%+v", first, second)
	}
	// PR, reviews, check runs, statuses revalidated (304); commits, files, the 3 reviewer
	// profiles and the 15 permission/membership answers from foureyes' caches.
	if want := (Stats{Requests: 4, NotModified: 4, CacheHits: 2 + 3 + 15}); !reflect.DeepEqual(st, want) {
		t.Errorf("stats = %+v, want %+v", st, want)
	}
	if st.Charged() != 0 {
		t.Errorf("charged %d requests", st.Charged())
	}
	if got := e.s.RateLimitedRequests() - charged; got != 0 {
		t.Errorf("fake counted %d rate-limited requests, want 0", got)
	}
	for _, part := range []string{"/compare/", "/pulls/42/commits", "/pulls/42/files", "/permission", "/memberships/"} {
		if got := e.apiRequests(part); len(got) != 0 {
			t.Errorf("second gather requested %s: %v", part, got)
		}
	}
	for _, r := range e.s.Requests() {
		if !r.Conditional || !r.NotModified {
			t.Errorf("request %s %s was not a 304 revalidation (conditional %v, status %d)", r.Method, r.Path, r.Conditional, r.Status)
		}
	}

	// A new review changes the reviews answer only.
	e.repo.AddReview(42, githubtest.Review{ID: 40, User: "bob", State: "APPROVED", CommitID: "h3", SubmittedAt: t0.Add(4 * time.Hour)})
	_, st, err = g.PullRequest(ctx, e.client, "acme", "payments", 42, PROptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Charged() != 1 {
		t.Errorf("after a new review, charged = %d (stats %+v), want 1", st.Charged(), st)
	}
}

func TestPullRequestMembershipCacheTTL(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	now := t0
	g := New(WithTTL(10*time.Minute), WithClock(func() time.Time { return now }))
	ctx := context.Background()
	opt := PROptions{NeedUsers: func(policy.Facts) []string { return []string{"bob"} }, Teams: []string{"acme/payments-reviewers"}}
	lookups := func() int { return len(e.apiRequests("/permission")) + len(e.apiRequests("/memberships/")) }

	steps := []struct {
		name      string
		advance   time.Duration
		change    func()
		lookups   int
		cacheHits int // commits, files, permission, membership, 3 reviewer profiles
		wantTeams []string
	}{
		{"cold", 0, nil, 2, 0, []string{"acme/payments-reviewers"}},
		{"within TTL, even if GitHub changed", 9 * time.Minute, func() { e.s.SetTeamMembers("acme", "payments-reviewers", "frank") }, 0, 7, []string{"acme/payments-reviewers"}},
		{"after TTL", time.Minute, nil, 2, 2, []string{}},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.change != nil {
			s.change()
		}
		e.s.ResetRequests()
		f, st, err := g.PullRequest(ctx, e.client, "acme", "payments", 42, opt)
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := lookups(); got != s.lookups {
			t.Errorf("%s: %d permission/membership requests, want %d", s.name, got, s.lookups)
		}
		if st.CacheHits != s.cacheHits {
			t.Errorf("%s: cache hits %d, want %d", s.name, st.CacheHits, s.cacheHits)
		}
		if got := f.Users["bob"].Teams; !reflect.DeepEqual(got, s.wantTeams) {
			t.Errorf("%s: bob's teams = %v, want %v", s.name, got, s.wantTeams)
		}
	}

	// ForgetUser drops the cached answers at once.
	g.ForgetUser("bob")
	e.s.ResetRequests()
	if _, _, err := g.PullRequest(ctx, e.client, "acme", "payments", 42, opt); err != nil {
		t.Fatal(err)
	}
	if got := lookups(); got != 2 {
		t.Errorf("after ForgetUser: %d lookups, want 2", got)
	}
}

func TestPullRequestLooksUpOnlyNeededUsers(t *testing.T) {
	tests := []struct {
		name        string
		need        []string
		teams       []string
		permissions []string // logins looked up, sorted
		memberships []string // "team/login" looked up, sorted
		users       map[string]policy.User
	}{
		{"nobody", nil, []string{"acme/admins"}, nil, nil, map[string]policy.User{}},
		{"one user, no teams", []string{"erin"}, nil, []string{"erin"}, nil,
			map[string]policy.User{"erin": {Permission: "maintain", Teams: []string{}}}},
		{"duplicates and blanks once", []string{"frank", "", "frank", "zoe"}, []string{"acme/payments-reviewers"},
			[]string{"frank", "zoe"}, []string{"payments-reviewers/frank", "payments-reviewers/zoe"},
			map[string]policy.User{
				"frank": {Permission: "triage", Teams: []string{"acme/payments-reviewers"}},
				"zoe":   {Permission: "none", Teams: []string{}},
			}},
		{"names that are not logins are not sent", []string{"Eve Outside", "../admin"}, []string{"acme/admins"}, nil, nil,
			map[string]policy.User{"Eve Outside": {Permission: "none", Teams: []string{}}, "../admin": {Permission: "none", Teams: []string{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			seedFull(e)
			need := tt.need
			f, _, err := New().PullRequest(context.Background(), e.client, "acme", "payments", 42,
				PROptions{NeedUsers: func(policy.Facts) []string { return need }, Teams: tt.teams})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(f.Users, tt.users) {
				t.Errorf("users = %#v, want %#v", f.Users, tt.users)
			}
			var perms, members []string
			for _, r := range e.s.Requests() {
				if strings.HasSuffix(r.Path, "/permission") {
					perms = append(perms, strings.Split(r.Path, "/")[5])
				}
				if i := strings.Index(r.Path, "/teams/"); i >= 0 {
					members = append(members, strings.Replace(r.Path[i+len("/teams/"):], "/memberships", "", 1))
				}
			}
			sort.Strings(perms)
			sort.Strings(members)
			if !reflect.DeepEqual(perms, tt.permissions) || !reflect.DeepEqual(members, tt.memberships) {
				t.Errorf("looked up permissions %v memberships %v, want %v %v", perms, members, tt.permissions, tt.memberships)
			}
		})
	}
}

func TestCommitsNotCachedWhenHeadMoved(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	// compare cannot answer (as for a base force-pushed away): the PR endpoints list the
	// PR's current commits. The webhook's PR still says h2, but h3 was pushed since: the
	// listed commits end at h3.
	e.s.Fail("GET", "/repos/acme/payments/compare/*", 404, 0, nil)
	stale := prFromFake(t, e, 42)
	stale.Head.SHA = github.String("h2")
	g := New()
	for i := 0; i < 2; i++ {
		e.s.ResetRequests()
		f, _, err := g.PullRequest(context.Background(), e.client, "acme", "payments", 42, PROptions{PR: stale})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(e.apiRequests("/pulls/42/commits")); got != 1 {
			t.Errorf("gather %d: %d commit requests, want 1 (a list for another head is not cached)", i, got)
		}
		if n := len(f.Commits); n != 3 {
			t.Errorf("gather %d: %d commits, want 3", i, n)
		}
		// The files are cached after the first gather, so compare is not asked again for
		// the commits alone: the PR endpoint costs the same one request.
		if got, want := len(e.apiRequests("/compare/")), 1-i; got != want {
			t.Errorf("gather %d: %d compare requests, want %d", i, got, want)
		}
	}
}

// TestCompareListsTheGivenHead: compare names the head SHA, so a webhook's PR that is one
// push behind gets the commits of its own head, cached, and decided for that head.
func TestCompareListsTheGivenHead(t *testing.T) {
	e := newEnv(t)
	seedFull(e)
	stale := prFromFake(t, e, 42)
	stale.Head.SHA = github.String("h2")
	g := New()
	for i := 0; i < 2; i++ {
		e.s.ResetRequests()
		f, st, err := g.PullRequest(context.Background(), e.client, "acme", "payments", 42, PROptions{PR: stale})
		if err != nil {
			t.Fatal(err)
		}
		var shas []string
		for _, c := range f.Commits {
			shas = append(shas, c.SHA)
		}
		if !reflect.DeepEqual(shas, []string{"h1", "h2"}) {
			t.Errorf("gather %d: commits %v, want [h1 h2]", i, shas)
		}
		if got, want := len(e.apiRequests("/compare/b1...h2")), 1-i; got != want {
			t.Errorf("gather %d: %d compare requests, want %d", i, got, want)
		}
		if i == 1 && st.CacheHits != 2+3 {
			t.Errorf("second gather: %d cache hits, want 5 (commits, files, 3 reviewer profiles)", st.CacheHits)
		}
	}
}
