package githubtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// clientCreator builds the real client stack foureyes uses, pointed at the fake.
func clientCreator(t *testing.T, s *githubtest.Server) githubapp.ClientCreator {
	return s.ClientCreator(t)
}

func sha(i int) string { return fmt.Sprintf("%040x", 0xc0ffee000+i) }

// fixture: acme/payments installed as 7, PR 42 with 130 commits, two reviews, check runs.
func fixture(t *testing.T) (*githubtest.Server, *githubtest.Repo) {
	s := githubtest.New(t)
	s.AddInstallation(7, "acme")
	r := s.AddRepo("acme/payments", 7)
	var shas []string
	for i := 1; i <= 130; i++ {
		c := githubtest.Commit{SHA: sha(i), Parents: []string{sha(i - 1)}, Author: "alice", Committer: "alice",
			Message: fmt.Sprintf("PAY-12 step %d", i), Verified: i%2 == 0}
		if i == 2 {
			c.Author, c.Committer = "", "web-flow"
		}
		r.AddCommit(c)
		shas = append(shas, c.SHA)
	}
	r.SetPR(githubtest.PR{Number: 42, Title: "PAY-12 fix rounding", Body: "body", Author: "alice",
		BaseRef: "main", BaseSHA: sha(0), HeadRef: "feature/pay-12", HeadSHA: sha(130), Commits: shas,
		Files: []string{"src/round.go", "docs/x.md"}})
	r.AddReview(42, githubtest.Review{User: "bob", State: "APPROVED", CommitID: sha(130)})
	r.AddReview(42, githubtest.Review{User: "carol", State: "changes_requested", CommitID: sha(129)})
	r.AddCheckRun(sha(130), githubtest.CheckRun{Name: "build", Conclusion: "failure"})
	r.AddCheckRun(sha(130), githubtest.CheckRun{Name: "build", Conclusion: "success"})
	r.AddCheckRun(sha(130), githubtest.CheckRun{Name: "lint", AppSlug: "other", AppID: 99, Status: "in_progress"})
	r.AddStatus(sha(130), githubtest.Status{Context: "ci/legacy", State: "pending", Creator: "jenkins-bot"})
	r.AddStatus(sha(130), githubtest.Status{Context: "ci/legacy", State: "success", Creator: "jenkins-bot"})
	r.SetFile("main", ".github/foureyes.yml", "version: 1\n")
	r.SetPermission("bob", "write")
	r.SetPermission("dave", "maintain")
	s.SetTeamMembers("acme", "payments-reviewers", "bob")
	r.SetCommitPulls(sha(130), 42)
	return s, r
}

func TestRealClientStack(t *testing.T) {
	s, _ := fixture(t)
	ctx := context.Background()
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatalf("installation client: %v", err)
	}

	pr, _, err := client.PullRequests.Get(ctx, "acme", "payments", 42)
	if err != nil {
		t.Fatalf("get PR: %v", err)
	}
	if pr.GetTitle() != "PAY-12 fix rounding" || pr.GetUser().GetLogin() != "alice" || pr.GetHead().GetSHA() != sha(130) ||
		pr.GetBase().GetRef() != "main" || pr.GetState() != "open" || pr.GetDraft() || pr.GetHead().GetRepo().GetFullName() != "acme/payments" {
		t.Errorf("PR decoded wrong: %+v", pr)
	}

	// Paginated commits: 130 commits at 100 per page = 2 pages with Link headers.
	var commits []*github.RepositoryCommit
	opt := &github.ListOptions{PerPage: 100}
	pages := 0
	for {
		page, resp, err := client.PullRequests.ListCommits(ctx, "acme", "payments", 42, opt)
		if err != nil {
			t.Fatalf("list commits: %v", err)
		}
		pages++
		commits = append(commits, page...)
		if pages == 1 && (resp.NextPage != 2 || resp.LastPage != 2) {
			t.Errorf("page 1 links: next %d last %d, want 2 2", resp.NextPage, resp.LastPage)
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if len(commits) != 130 || pages != 2 {
		t.Fatalf("got %d commits in %d pages, want 130 in 2", len(commits), pages)
	}
	if c := commits[1]; c.Author != nil || c.GetCommitter().GetLogin() != "web-flow" || c.GetCommit().GetVerification().GetVerified() != true {
		t.Errorf("commit 2: author %v committer %q verified %v", c.Author, c.GetCommitter().GetLogin(), c.GetCommit().GetVerification().GetVerified())
	}
	if c := commits[0]; c.GetAuthor().GetLogin() != "alice" || c.Parents[0].GetSHA() != sha(0) || c.GetCommit().GetMessage() != "PAY-12 step 1" ||
		c.GetCommit().GetAuthor().GetEmail() == "" || c.GetCommit().GetAuthor().GetDate().IsZero() {
		t.Errorf("commit 1 decoded wrong: %+v", c)
	}

	reviews, _, err := client.PullRequests.ListReviews(ctx, "acme", "payments", 42, nil)
	if err != nil {
		t.Fatalf("reviews: %v", err)
	}
	if len(reviews) != 2 || reviews[0].GetState() != "APPROVED" || reviews[0].GetUser().GetLogin() != "bob" ||
		reviews[0].GetCommitID() != sha(130) || reviews[1].GetState() != "CHANGES_REQUESTED" || reviews[0].GetSubmittedAt().IsZero() {
		t.Errorf("reviews decoded wrong: %+v", reviews)
	}

	files, _, err := client.PullRequests.ListFiles(ctx, "acme", "payments", 42, nil)
	if err != nil || len(files) != 2 || files[0].GetFilename() != "src/round.go" || files[0].GetStatus() != "modified" {
		t.Errorf("files: %v %+v", err, files)
	}

	runs, _, err := client.Checks.ListCheckRunsForRef(ctx, "acme", "payments", sha(130), nil)
	if err != nil {
		t.Fatalf("check runs: %v", err)
	}
	if runs.GetTotal() != 2 { // filter=latest: newest "build" and "lint"
		t.Errorf("latest check runs: total %d, want 2", runs.GetTotal())
	}
	for _, c := range runs.CheckRuns {
		if c.GetName() == "build" && (c.GetConclusion() != "success" || c.GetApp().GetSlug() != "github-actions" || c.GetApp().GetID() != 15368) {
			t.Errorf("latest build run: %+v", c)
		}
	}
	all, _, err := client.Checks.ListCheckRunsForRef(ctx, "acme", "payments", sha(130), &github.ListCheckRunsOptions{Filter: github.String("all"), CheckName: github.String("build")})
	if err != nil || all.GetTotal() != 2 {
		t.Errorf("filter=all check_name=build: %v total %d, want 2", err, all.GetTotal())
	}
	byApp, _, err := client.Checks.ListCheckRunsForRef(ctx, "acme", "payments", sha(130), &github.ListCheckRunsOptions{AppID: github.Int64(99)})
	if err != nil || byApp.GetTotal() != 1 || byApp.CheckRuns[0].GetName() != "lint" {
		t.Errorf("app_id=99: %v %+v", err, byApp)
	}

	combined, _, err := client.Repositories.GetCombinedStatus(ctx, "acme", "payments", sha(130), nil)
	if err != nil || combined.GetState() != "success" || len(combined.Statuses) != 1 || combined.Statuses[0].GetCreator().GetLogin() != "jenkins-bot" {
		t.Errorf("combined status: %v %+v", err, combined)
	}
	statuses, _, err := client.Repositories.ListStatuses(ctx, "acme", "payments", sha(130), nil)
	if err != nil || len(statuses) != 2 || statuses[0].GetState() != "success" || statuses[0].GetContext() != "ci/legacy" {
		t.Errorf("statuses: %v %+v", err, statuses)
	}

	fc, _, resp, err := client.Repositories.GetContents(ctx, "acme", "payments", ".github/foureyes.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if err != nil {
		t.Fatalf("contents: %v", err)
	}
	if content, _ := fc.GetContent(); content != "version: 1\n" || fc.GetType() != "file" || fc.GetSHA() == "" {
		t.Errorf("contents: %q %+v", content, fc)
	}
	_, _, resp, err = client.Repositories.GetContents(ctx, "acme", "payments", "missing.yml", &github.RepositoryContentGetOptions{Ref: "main"})
	if resp == nil || resp.StatusCode != http.StatusNotFound || err == nil {
		t.Errorf("missing contents: want 404, got %v", err)
	}

	perm, _, err := client.Repositories.GetPermissionLevel(ctx, "acme", "payments", "bob")
	if err != nil || perm.GetPermission() != "write" || perm.GetUser().GetLogin() != "bob" {
		t.Errorf("permission: %v %+v", err, perm)
	}
	perm, _, _ = client.Repositories.GetPermissionLevel(ctx, "acme", "payments", "mallory")
	if perm.GetPermission() != "none" {
		t.Errorf("unknown user permission %q, want none", perm.GetPermission())
	}
	m, _, err := client.Teams.GetTeamMembershipBySlug(ctx, "acme", "payments-reviewers", "bob")
	if err != nil || m.GetState() != "active" || m.GetRole() != "member" {
		t.Errorf("team membership: %v %+v", err, m)
	}
	_, resp, err = client.Teams.GetTeamMembershipBySlug(ctx, "acme", "payments-reviewers", "alice")
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("non-member: want 404, got %v", err)
	}
	prs, _, err := client.PullRequests.ListPullRequestsWithCommit(ctx, "acme", "payments", sha(130), nil)
	if err != nil || len(prs) != 1 || prs[0].GetNumber() != 42 {
		t.Errorf("commit pulls: %v %+v", err, prs)
	}

	// A repeat GET is conditional (the cache validates with If-None-Match) and answered 304,
	// which the rate limit does not charge.
	before := s.RateLimitedRequests()
	again, resp, err := client.PullRequests.Get(ctx, "acme", "payments", 42)
	if err != nil || again.GetNumber() != 42 {
		t.Fatalf("repeat get: %v", err)
	}
	if resp.Header.Get("X-From-Cache") != "1" {
		t.Errorf("repeat get not served from cache after 304")
	}
	if got := s.RateLimitedRequests(); got != before {
		t.Errorf("rate-limited requests went %d -> %d on a 304", before, got)
	}
	reqs := s.Requests()
	last := reqs[len(reqs)-1]
	if last.Status != http.StatusNotModified || !last.Conditional || !last.NotModified || last.Installation != 7 || last.Path != "/repos/acme/payments/pulls/42" {
		t.Errorf("last request %+v, want a conditional 304 for installation 7", last)
	}
	if resp.Rate.Limit != 5000 || resp.Rate.Remaining <= 0 {
		t.Errorf("rate headers: %+v", resp.Rate)
	}
	// A changed PR is not 304.
	r := s.Repo("acme/payments")
	p := r.PR(42)
	p.Title = "PAY-12 fix rounding again"
	r.SetPR(p)
	again, _, err = client.PullRequests.Get(ctx, "acme", "payments", 42)
	if err != nil || again.GetTitle() != p.Title {
		t.Errorf("changed PR: %v %q", err, again.GetTitle())
	}
	if got := s.RateLimitedRequests(); got != before+1 {
		t.Errorf("changed PR should be charged: %d -> %d", before, got)
	}
}

func TestCheckRunWrites(t *testing.T) {
	s, r := fixture(t)
	ctx := context.Background()
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	run, resp, err := client.Checks.CreateCheckRun(ctx, "acme", "payments", github.CreateCheckRunOptions{
		Name: "foureyes", HeadSHA: sha(130), Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{Title: github.String("Evaluating"), Summary: github.String("…")},
	})
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create check run: %v", err)
	}
	if run.GetApp().GetID() != s.AppID || run.GetApp().GetSlug() != "foureyes" || run.GetStatus() != "in_progress" || run.GetHeadSHA() != sha(130) {
		t.Errorf("created run: %+v", run)
	}
	run, _, err = client.Checks.UpdateCheckRun(ctx, "acme", "payments", run.GetID(), github.UpdateCheckRunOptions{
		Name: "foureyes", Conclusion: github.String("failure"),
		Output: &github.CheckRunOutput{Title: github.String("1 approval missing"), Summary: github.String("needs bob"), Text: github.String("details"),
			Annotations: []*github.CheckRunAnnotation{{Path: github.String("a.go"), StartLine: github.Int(1), EndLine: github.Int(1), AnnotationLevel: github.String("failure"), Message: github.String("m")}}},
		Actions: []*github.CheckRunAction{{Label: "Re-evaluate", Description: "Evaluate again", Identifier: "reevaluate"}},
	})
	if err != nil || run.GetStatus() != "completed" || run.GetConclusion() != "failure" || run.GetOutput().GetTitle() != "1 approval missing" {
		t.Fatalf("update: %v %+v", err, run)
	}
	_, resp, err = client.Checks.UpdateCheckRun(ctx, "acme", "payments", 999999999, github.UpdateCheckRunOptions{Name: "foureyes"})
	if err == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("PATCH unknown id: want 404, got %v", err)
	}
	other := r.CheckRuns(sha(130))[0]
	_, resp, err = client.Checks.UpdateCheckRun(ctx, "acme", "payments", other.ID, github.UpdateCheckRunOptions{Name: "build"})
	if err == nil || resp.StatusCode == http.StatusOK {
		t.Errorf("PATCH of another app's run should fail")
	}

	own := s.OwnCheckRuns("acme/payments")
	if len(own) != 1 || own[0].Conclusion != "failure" || own[0].Output.Text != "details" || len(own[0].Actions) != 1 || len(own[0].Output.Annotations) != 1 {
		t.Errorf("own check runs: %+v", own)
	}
	w := s.CheckRunWrites("acme/payments")
	if len(w) != 2 || w[0].Method != "POST" || w[0].Status != "in_progress" || w[1].Method != "PATCH" || w[1].Conclusion != "failure" ||
		w[1].Summary != "needs bob" || w[1].ID != own[0].ID || w[1].HeadSHA != sha(130) || len(w[1].Annotations) != 1 {
		t.Errorf("writes: %+v", w)
	}
	// The app's run is listed with app_id.
	runs, _, err := client.Checks.ListCheckRunsForRef(ctx, "acme", "payments", sha(130), &github.ListCheckRunsOptions{AppID: github.Int64(s.AppID)})
	if err != nil || runs.GetTotal() != 1 || runs.CheckRuns[0].GetName() != "foureyes" || len(runs.CheckRuns[0].PullRequests) != 1 {
		t.Errorf("own runs by app_id: %v %+v", err, runs)
	}
}

func TestAuth(t *testing.T) {
	s, _ := fixture(t)
	s.AddInstallation(8, "other")
	s.AddRepo("other/thing", 8)
	get := func(path, auth string) int {
		req, _ := http.NewRequest("GET", s.APIURL+strings.TrimPrefix(path, "/"), nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tok7 := s.InstallationToken(7)
	jwt := s.AppJWT()
	cases := []struct {
		name, path, auth string
		want             int
	}{
		{"no auth", "/repos/acme/payments/pulls/42", "", 401},
		{"bad token", "/repos/acme/payments/pulls/42", "token ghs_nope", 401},
		{"jwt on installation route", "/repos/acme/payments/pulls/42", "Bearer " + jwt, 401},
		{"token", "/repos/acme/payments/pulls/42", "token " + tok7, 200},
		{"bearer token", "/repos/acme/payments/pulls/42", "Bearer " + tok7, 200},
		{"other installation's repo", "/repos/other/thing/pulls", "token " + tok7, 404},
		{"unknown repo", "/repos/acme/nope/pulls", "token " + tok7, 404},
		{"other org's team", "/orgs/other/teams/x/memberships/bob", "token " + tok7, 404},
		{"app route with token", "/app/installations", "token " + tok7, 401},
		{"app route with jwt", "/app/installations", "Bearer " + jwt, 200},
		{"repo installation with jwt", "/repos/acme/payments/installation", "Bearer " + jwt, 200},
		{"forged jwt", "/app/installations", "Bearer " + jwt[:len(jwt)-4] + "AAAA", 401},
		{"unknown route", "/repos/acme/payments/nope", "token " + tok7, 404},
	}
	for _, c := range cases {
		if got := get(c.path, c.auth); got != c.want {
			t.Errorf("%s: GET %s = %d, want %d", c.name, c.path, got, c.want)
		}
	}
	s.ExpireTokens()
	if got := get("/repos/acme/payments/pulls/42", "token "+tok7); got != 401 {
		t.Errorf("expired token: %d, want 401", got)
	}
}

func TestFailAndLatency(t *testing.T) {
	s, _ := fixture(t)
	ctx := context.Background()
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	s.Fail("GET", "/repos/acme/payments/pulls/*/reviews", http.StatusBadGateway, 2, nil)
	for i := 0; i < 2; i++ {
		_, resp, err := client.PullRequests.ListReviews(ctx, "acme", "payments", 42, nil)
		if err == nil || resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("attempt %d: want 502, got %v", i, err)
		}
	}
	if _, _, err := client.PullRequests.ListReviews(ctx, "acme", "payments", 42, nil); err != nil {
		t.Fatalf("third attempt should pass: %v", err)
	}

	s.Fail("GET", "/repos/acme/payments/pulls/42", http.StatusForbidden, 1, map[string]string{"Retry-After": "30"})
	_, _, err = client.PullRequests.Get(ctx, "acme", "payments", 42)
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 30*time.Second {
		t.Errorf("secondary rate limit: got %T %v", err, err)
	}
	// go-github remembers a rate-limit error and refuses requests locally: use a fresh client.
	client, err = clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	s.Fail("GET", "/repos/acme/payments/pulls/42/files", http.StatusForbidden, 1, map[string]string{
		"x-ratelimit-remaining": "0", "x-ratelimit-reset": fmt.Sprint(time.Now().Add(time.Second).Unix())})
	_, _, err = client.PullRequests.ListFiles(ctx, "acme", "payments", 42, nil)
	var rle *github.RateLimitError
	if !errors.As(err, &rle) {
		t.Errorf("primary rate limit: got %T %v", err, err)
	}

	s.SetLatency(50 * time.Millisecond)
	start := time.Now()
	req, _ := http.NewRequest("GET", s.APIURL+"rate_limit", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if time.Since(start) < 50*time.Millisecond {
		t.Errorf("latency not applied")
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource"} {
		if resp.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
}

func TestDeploymentProtectionRuleCallback(t *testing.T) {
	s, _ := fixture(t)
	ctx := context.Background()
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	url := s.APIURL + "repos/acme/payments/actions/runs/555/deployment_protection_rule"
	post := func(body map[string]string) (*github.Response, error) {
		req, err := client.NewRequest("POST", url, body)
		if err != nil {
			t.Fatal(err)
		}
		return client.Do(ctx, req, nil)
	}
	s.Fail("POST", "/repos/*/*/actions/runs/*/deployment_protection_rule", http.StatusServiceUnavailable, 1, nil)
	if resp, err := post(map[string]string{"environment_name": "production", "state": "approved", "comment": "ok"}); err == nil || resp.StatusCode != 503 {
		t.Fatalf("want injected 503, got %v", err)
	}
	resp, err := post(map[string]string{"environment_name": "production", "state": "approved", "comment": "ok"})
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("approve: %v", err)
	}
	if resp, err := post(map[string]string{"environment_name": "production", "state": "maybe"}); err == nil || resp.StatusCode != 422 {
		t.Errorf("bad state: want 422, got %v", err)
	}
	got := s.DeploymentReviews()
	if len(got) != 3 {
		t.Fatalf("reviews: %+v", got)
	}
	want := githubtest.DeploymentReview{Repo: "acme/payments", RunID: 555, EnvironmentName: "production", State: "approved", Comment: "ok", Status: 204, Installation: 7}
	got[1].At = time.Time{}
	if got[0].Status != 503 || got[1] != want || got[2].Status != 422 {
		t.Errorf("reviews: %+v", got)
	}
}
