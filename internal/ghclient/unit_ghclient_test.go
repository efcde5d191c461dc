package ghclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/foureyes/foureyes/internal/metrics"
)

const sha40 = "0123456789abcdef0123456789abcdef01234567"

func TestRouteUnit(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/repos/acme/widgets/pulls/42", "GET /repos/{owner}/{repo}/pulls/{n}"},
		{"GET", "/api/v3/repos/acme/widgets/pulls/42", "GET /repos/{owner}/{repo}/pulls/{n}"},
		{"GET", "/repos/acme/widgets/pulls/42/reviews", "GET /repos/{owner}/{repo}/pulls/{n}/reviews"},
		{"GET", "/repos/acme/widgets/pulls/42/files", "GET /repos/{owner}/{repo}/pulls/{n}/files"},
		{"GET", "/repos/acme/widgets/pulls/42/commits", "GET /repos/{owner}/{repo}/pulls/{n}/commits"},
		{"GET", "/repos/acme/widgets/pulls", "GET /repos/{owner}/{repo}/pulls"},
		{"GET", "/repos/acme/widgets/compare/" + sha40 + "..." + sha40, "GET /repos/{owner}/{repo}/compare/{basehead}"},
		{"GET", "/api/v3/repos/acme/widgets/compare/main...feature", "GET /repos/{owner}/{repo}/compare/{basehead}"},
		{"GET", "/repos/acme/widgets", "GET /repos/{owner}/{repo}"},
		{"PATCH", "/repos/acme/widgets/check-runs/998877", "PATCH /repos/{owner}/{repo}/check-runs/{n}"},
		{"POST", "/repos/acme/widgets/check-runs", "POST /repos/{owner}/{repo}/check-runs"},
		{"GET", "/repos/acme/widgets/commits/" + sha40 + "/check-runs", "GET /repos/{owner}/{repo}/commits/{sha}/check-runs"},
		{"GET", "/repos/acme/widgets/commits/" + sha40 + "/pulls", "GET /repos/{owner}/{repo}/commits/{sha}/pulls"},
		{"GET", "/repos/acme/widgets/commits/" + sha40 + "/status", "GET /repos/{owner}/{repo}/commits/{sha}/status"},
		{"GET", "/repos/acme/widgets/commits/main/statuses", "GET /repos/{owner}/{repo}/commits/{commit}/statuses"},
		{"GET", "/repos/acme/widgets/statuses/" + sha40, "GET /repos/{owner}/{repo}/statuses/{sha}"},
		{"GET", "/repos/acme/widgets/contents/.github/foureyes.yml", "GET /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "/repos/acme/widgets/contents/README.md", "GET /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "/api/v3/repos/acme/.github/contents/.github/foureyes.yml", "GET /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "/repos/acme/widgets/contents/docs/api/v3/index.md", "GET /repos/{owner}/{repo}/contents/{path}"},
		{"GET", "/repos/api/v3/pulls/5", "GET /repos/{owner}/{repo}/pulls/{n}"},
		{"GET", "/repos/acme/widgets/collaborators/alice/permission", "GET /repos/{owner}/{repo}/collaborators/{collaborator}/permission"},
		{"GET", "/orgs/acme/teams/platform-team/memberships/bob", "GET /orgs/{org}/teams/{team}/memberships/{membership}"},
		{"GET", "/api/v3/orgs/acme/teams/sre/memberships/carol", "GET /orgs/{org}/teams/{team}/memberships/{membership}"},
		{"GET", "/repos/acme/widgets/actions/runs/123456789", "GET /repos/{owner}/{repo}/actions/runs/{n}"},
		{"POST", "/repos/acme/widgets/actions/runs/123/deployment_protection_rule", "POST /repos/{owner}/{repo}/actions/runs/{n}/deployment_protection_rule"},
		{"GET", "/installation/repositories", "GET /installation/repositories"},
		{"POST", "/app/installations/4242/access_tokens", "POST /app/installations/{n}/access_tokens"},
		{"POST", "/app-manifests/abc123code/conversions", "POST /app-manifests/{app-manifest}/conversions"},
		{"GET", "/rate_limit", "GET /rate_limit"},
		// Owners and repositories named like path keywords stay placeholders.
		{"GET", "/repos/contents/commits/pulls/1", "GET /repos/{owner}/{repo}/pulls/{n}"},
		{"GET", "/repos/12345/67890/pulls/1", "GET /repos/{owner}/{repo}/pulls/{n}"},
	}
	for _, tt := range tests {
		if got := Route(tt.method, tt.path); got != tt.want {
			t.Errorf("Route(%s, %q) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

// TestRouteCardinalityUnit: many owners, repositories, numbers, SHAs, files and users
// must collapse to a handful of labels.
func TestRouteCardinalityUnit(t *testing.T) {
	seen := map[string]bool{}
	for i := range 200 {
		owner, repo, user := fmt.Sprintf("org%d", i), fmt.Sprintf("repo-%d", i), fmt.Sprintf("user%d", i)
		sha := fmt.Sprintf("%040x", i*7919+1)
		for _, p := range []string{
			fmt.Sprintf("/repos/%s/%s/pulls/%d", owner, repo, i+1),
			fmt.Sprintf("/api/v3/repos/%s/%s/pulls/%d/reviews", owner, repo, i+1),
			fmt.Sprintf("/repos/%s/%s/commits/%s/check-runs", owner, repo, sha),
			fmt.Sprintf("/repos/%s/%s/contents/dir%d/file%d.yml", owner, repo, i, i),
			fmt.Sprintf("/repos/%s/%s/collaborators/%s/permission", owner, repo, user),
			fmt.Sprintf("/orgs/%s/teams/team%d/memberships/%s", owner, i, user),
			fmt.Sprintf("/repos/%s/%s/check-runs/%d", owner, repo, i*1000),
		} {
			seen[Route("GET", p)] = true
		}
	}
	if len(seen) != 7 {
		t.Fatalf("%d distinct routes for 7 endpoints: %v", len(seen), seen)
	}
}

type fakeRT struct {
	status int
	header map[string]string
	err    error
}

func (f fakeRT) RoundTrip(r *http.Request) (*http.Response, error) {
	if f.err != nil {
		return nil, f.err
	}
	h := http.Header{}
	for k, v := range f.header {
		h.Set(k, v)
	}
	return &http.Response{StatusCode: f.status, Header: h, Body: io.NopCloser(strings.NewReader("{}")), Request: r}, nil
}

func TestMiddlewareUnit(t *testing.T) {
	tests := []struct {
		name            string
		rt              fakeRT
		path            string
		wantStatus      string
		wantRequests    int64
		wantNotModified int64
		wantRemaining   map[string]float64 // resource -> gauge; nil: gauge untouched
	}{
		{name: "200 charged", rt: fakeRT{status: 200, header: map[string]string{"X-RateLimit-Remaining": "4999"}},
			path: "/repos/o/r/pulls/1", wantStatus: "200", wantRequests: 1, wantRemaining: map[string]float64{"core": 4999}},
		{name: "revalidated from cache counts as 304", rt: fakeRT{status: 200, header: map[string]string{"X-From-Cache": "1", "X-RateLimit-Remaining": "1"}},
			path: "/repos/o/r/pulls/1", wantStatus: "304", wantNotModified: 1},
		{name: "304 from GitHub is free", rt: fakeRT{status: 304, header: map[string]string{"X-RateLimit-Remaining": "4000"}},
			path: "/repos/o/r/pulls/2", wantStatus: "304", wantNotModified: 1, wantRemaining: map[string]float64{"core": 4000}},
		{name: "resource label", rt: fakeRT{status: 200, header: map[string]string{"X-RateLimit-Remaining": "12", "X-RateLimit-Resource": "graphql"}},
			path: "/graphql", wantStatus: "200", wantRequests: 1, wantRemaining: map[string]float64{"graphql": 12}},
		{name: "404 charged", rt: fakeRT{status: 404}, path: "/repos/o/r/collaborators/x/permission", wantStatus: "404", wantRequests: 1},
		{name: "bad remaining header ignored", rt: fakeRT{status: 200, header: map[string]string{"X-RateLimit-Remaining": "lots"}},
			path: "/rate_limit", wantStatus: "200", wantRequests: 1},
		{name: "transport error", rt: fakeRT{err: errors.New("dial tcp: refused")}, path: "/repos/o/r", wantStatus: "error", wantRequests: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			rt := Middleware(m)(tt.rt)
			ctx, counter := WithCounter(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "GET", "https://api.github.com"+tt.path, nil)
			resp, err := rt.RoundTrip(req)
			if (err != nil) != (tt.rt.err != nil) {
				t.Fatalf("err = %v", err)
			}
			if resp != nil {
				resp.Body.Close()
			}
			route := Route("GET", tt.path)
			if got := toFloat64(t, m.GitHubRequests.WithLabelValues(route, tt.wantStatus)); got != 1 {
				t.Errorf("requests{route=%q,status=%q} = %v, want 1", route, tt.wantStatus, got)
			}
			if n := collectAndCount(m.GitHubRequests); n != 1 {
				t.Errorf("%d request series, want 1", n)
			}
			if counter.Requests() != tt.wantRequests || counter.NotModified() != tt.wantNotModified {
				t.Errorf("counter requests=%d notModified=%d, want %d/%d", counter.Requests(), counter.NotModified(), tt.wantRequests, tt.wantNotModified)
			}
			if n := collectAndCount(m.RateLimitRemaining); n != len(tt.wantRemaining) {
				t.Errorf("%d rate-limit series, want %d", n, len(tt.wantRemaining))
			}
			for res, v := range tt.wantRemaining {
				if got := toFloat64(t, m.RateLimitRemaining.WithLabelValues(res)); got != v {
					t.Errorf("remaining{%s} = %v, want %v", res, got, v)
				}
			}
		})
	}
}

// TestMiddlewareWithGitHubClientUnit drives the middleware with go-github against a
// test server: counts per context, and nothing counted without a counter.
func TestMiddlewareWithGitHubClientUnit(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("X-RateLimit-Remaining", fmt.Sprint(5000-hits))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "/pulls/2"):
			w.Header().Set("X-From-Cache", "1") // as httpcache marks a revalidated answer
		case strings.HasSuffix(r.URL.Path, "/pulls/3"):
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
			return
		}
		fmt.Fprint(w, `{"number":1}`)
	}))
	defer srv.Close()
	m := metrics.New()
	hc := &http.Client{Transport: Middleware(m)(http.DefaultTransport)}
	gh, err := github.NewClient(hc).WithEnterpriseURLs(srv.URL+"/api/v3/", srv.URL+"/api/uploads/")
	if err != nil {
		t.Fatal(err)
	}
	ctx, counter := WithCounter(context.Background())
	for _, n := range []int{1, 1, 2, 3} {
		_, _, _ = gh.PullRequests.Get(ctx, "acme", "widgets", n)
	}
	// A second evaluation's counter is independent; an uncounted context counts nowhere.
	ctx2, counter2 := WithCounter(context.Background())
	_, _, _ = gh.PullRequests.Get(ctx2, "acme", "widgets", 2)
	_, _, _ = gh.PullRequests.Get(context.Background(), "acme", "widgets", 1)

	if counter.Requests() != 3 || counter.NotModified() != 1 {
		t.Errorf("counter = %d requests, %d not modified; want 3 and 1", counter.Requests(), counter.NotModified())
	}
	if counter2.Requests() != 0 || counter2.NotModified() != 1 {
		t.Errorf("counter2 = %d requests, %d not modified; want 0 and 1", counter2.Requests(), counter2.NotModified())
	}
	route := "GET /repos/{owner}/{repo}/pulls/{n}"
	for status, want := range map[string]float64{"200": 3, "304": 2, "404": 1} {
		if got := toFloat64(t, m.GitHubRequests.WithLabelValues(route, status)); got != want {
			t.Errorf("requests{%s} = %v, want %v", status, got, want)
		}
	}
	if n := collectAndCount(m.GitHubRequests); n != 3 {
		t.Errorf("%d series, want 3 (one route, three statuses)", n)
	}
	// The gauge keeps what the last answer not from cache said (hits 6 -> 4994).
	if got := toFloat64(t, m.RateLimitRemaining.WithLabelValues("core")); got != 5000-6 {
		t.Errorf("remaining = %v, want %v", got, 5000-6)
	}
	// nil metrics: counting still works, nothing panics.
	ctx3, counter3 := WithCounter(context.Background())
	req, _ := http.NewRequestWithContext(ctx3, "GET", srv.URL+"/api/v3/repos/a/b/pulls/1", nil)
	resp, err := Middleware(nil)(http.DefaultTransport).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if counter3.Requests() != 1 {
		t.Errorf("nil metrics: %d requests", counter3.Requests())
	}
}

// toFloat64 and collectAndCount stand in for client_golang's testutil, whose dependency
// (github.com/kylelemons/godebug) is not in go.mod.
func toFloat64(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	switch {
	case pb.Counter != nil:
		return pb.Counter.GetValue()
	case pb.Gauge != nil:
		return pb.Gauge.GetValue()
	}
	t.Fatalf("not a counter or gauge: %v", &pb)
	return 0
}

func collectAndCount(c prometheus.Collector) int {
	ch := make(chan prometheus.Metric, 100)
	go func() { c.Collect(ch); close(ch) }()
	n := 0
	for range ch {
		n++
	}
	return n
}
