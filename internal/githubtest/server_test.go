package githubtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/githubtest"
)

func do(t *testing.T, method, url, auth string, body io.Reader) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestPagination(t *testing.T) {
	s, r := fixture(t)
	tok := "token " + s.InstallationToken(7)
	shas := make([]string, 300)
	for i := range shas {
		shas[i] = sha(1000 + i)
	}
	r.SetPR(githubtest.PR{Number: 7, Title: "big", Author: "alice", HeadSHA: shas[299], Commits: shas})
	cases := []struct {
		query    string
		n        int
		wantLink []string
	}{
		{"", 30, []string{`page=2>; rel="next"`, `page=9>; rel="last"`}}, // 250 commits max, 30 per page
		{"?per_page=500", 100, []string{`page=2&per_page=100>; rel="next"`, `page=3&per_page=100>; rel="last"`}},
		{"?per_page=100&page=3", 50, []string{`rel="prev"`, `rel="first"`}},
		{"?per_page=100&page=4", 0, nil},
	}
	for _, c := range cases {
		resp, body := do(t, "GET", s.APIURL+"repos/acme/payments/pulls/7/commits"+c.query, tok, nil)
		var list []json.RawMessage
		if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", c.query, resp.StatusCode, err)
		}
		if len(list) != c.n {
			t.Errorf("%s: %d items, want %d", c.query, len(list), c.n)
		}
		for _, l := range c.wantLink {
			if !strings.Contains(resp.Header.Get("Link"), l) {
				t.Errorf("%s: Link %q lacks %q", c.query, resp.Header.Get("Link"), l)
			}
		}
		if strings.Contains(resp.Header.Get("Link"), `rel="next"`) && strings.Contains(c.query, "page=3") {
			t.Errorf("%s: last page has rel=next", c.query)
		}
	}
}

func TestExtensionRoutesAndMisc(t *testing.T) {
	s, r := fixture(t)
	s.HandleFunc("GET /api/v3/app/hook/config", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"content_type":"json","url":"http://x/hook"}`)
	})
	s.HandleFunc("POST /api/v3/app-manifests/{code}/conversions", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%d}`, s.AppID)
	})
	s.HandleFunc("GET /web/page", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") })

	if resp, _ := do(t, "GET", s.APIURL+"app/hook/config", "", nil); resp.StatusCode != 401 {
		t.Errorf("extension /app route without JWT: %d, want 401", resp.StatusCode)
	}
	if resp, b := do(t, "GET", s.APIURL+"app/hook/config", "Bearer "+s.AppJWT(), nil); resp.StatusCode != 200 || !strings.Contains(string(b), "json") || resp.Header.Get("ETag") == "" {
		t.Errorf("extension route with JWT: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, "POST", s.APIURL+"app-manifests/abc/conversions", "", nil); resp.StatusCode != 201 {
		t.Errorf("manifest conversion unauthenticated: %d", resp.StatusCode)
	}
	s.Fail("POST", "/app-manifests/*/conversions", 422, 1, nil)
	if resp, _ := do(t, "POST", s.APIURL+"app-manifests/abc/conversions", "", nil); resp.StatusCode != 422 {
		t.Errorf("injected failure on extension route: %d", resp.StatusCode)
	}
	if resp, b := do(t, "GET", s.URL+"/web/page", "", nil); resp.StatusCode != 200 || string(b) != "hello" {
		t.Errorf("extension web route: %d %s", resp.StatusCode, b)
	}
	if resp, _ := do(t, "GET", s.URL+"/acme/payments/pull/42", "", nil); resp.StatusCode != 200 {
		t.Errorf("PR web page: %d", resp.StatusCode)
	}
	if resp, _ := do(t, "POST", s.GraphQLURL, "token "+s.InstallationToken(7), strings.NewReader(`{"query":"{viewer{login}}"}`)); resp.StatusCode != 200 {
		t.Errorf("graphql: %d, want 200 (with errors: viewer is not in the schema)", resp.StatusCode)
	}

	// Contents: default branch, directories, refs by SHA, deletion.
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r.SetFile(sha(130), ".github/foureyes.yml", "version: 2\n")
	r.SetFile("main", ".github/other.yml", "x")
	fc, dir, _, err := client.Repositories.GetContents(ctx, "acme", "payments", ".github", nil)
	if err != nil || fc != nil || len(dir) != 2 || dir[0].GetName() != "foureyes.yml" {
		t.Errorf("dir listing: %v %+v", err, dir)
	}
	fc, _, _, err = client.Repositories.GetContents(ctx, "acme", "payments", ".github/foureyes.yml", &github.RepositoryContentGetOptions{Ref: sha(130)})
	if c, _ := fc.GetContent(); err != nil || c != "version: 2\n" {
		t.Errorf("contents at sha: %v %q", err, c)
	}
	r.DeleteFile("main", ".github/foureyes.yml")
	if _, _, resp, _ := client.Repositories.GetContents(ctx, "acme", "payments", ".github/foureyes.yml", nil); resp.StatusCode != 404 {
		t.Errorf("deleted file: %d", resp.StatusCode)
	}

	// Installations with the app client.
	app, err := clientCreator(t, s).NewAppClient()
	if err != nil {
		t.Fatal(err)
	}
	inst, _, err := app.Apps.FindRepositoryInstallation(ctx, "acme", "payments")
	if err != nil || inst.GetID() != 7 || inst.GetAccount().GetLogin() != "acme" {
		t.Errorf("repo installation: %v %+v", err, inst)
	}
	insts, _, err := app.Apps.ListInstallations(ctx, nil)
	if err != nil || len(insts) != 1 {
		t.Errorf("installations: %v %d", err, len(insts))
	}
}

// TestConcurrentUse drives the fake from many goroutines while state changes (run with -race).
func TestConcurrentUse(t *testing.T) {
	s, r := fixture(t)
	client, err := clientCreator(t, s).NewInstallationClient(7)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if _, _, err := client.PullRequests.ListReviews(ctx, "acme", "payments", 42, nil); err != nil {
					t.Error(err)
					return
				}
				r.AddReview(42, githubtest.Review{User: fmt.Sprintf("u%d", i), State: "COMMENTED"})
				if _, _, err := client.Checks.CreateCheckRun(ctx, "acme", "payments", github.CreateCheckRunOptions{Name: "foureyes", HeadSHA: sha(130)}); err != nil {
					t.Error(err)
					return
				}
				_ = s.Requests()
			}
		}(i)
	}
	wg.Wait()
	if n := len(s.CheckRunWrites("acme/payments")); n != 200 {
		t.Errorf("%d writes, want 200", n)
	}
}
