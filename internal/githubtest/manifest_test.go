package githubtest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/google/go-github/v60/github"
)

const testManifest = `{"name":"foureyes-test","url":"https://f.example.com/","public":false,
"hook_attributes":{"url":"https://f.example.com/api/github/hook","active":true},
"redirect_url":"https://f.example.com/setup/callback?x=1",
"default_permissions":{"checks":"write"},"default_events":["pull_request"]}`

var manifestTokenRe = regexp.MustCompile(`name="token" value="([0-9a-f]+)"`)

// manifestWeb walks the fake's web pages as a browser would: post the manifest, click
// "Create GitHub App", and return the redirect GitHub sends back.
func manifestWeb(t *testing.T, s *githubtest.Server, path, manifest, state string) (*url.URL, int) {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	target := s.URL + path
	if state != "" {
		target += "?state=" + url.QueryEscape(state)
	}
	resp, err := c.PostForm(target, url.Values{"manifest": {manifest}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, resp.StatusCode
	}
	if !strings.Contains(string(body), `id="create"`) {
		t.Fatalf("no Create GitHub App button:\n%s", body)
	}
	m := manifestTokenRe.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatalf("no confirmation token:\n%s", body)
	}
	resp, err = c.PostForm(s.URL+"/settings/apps/new/confirm", url.Values{"token": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		return nil, resp.StatusCode
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc, resp.StatusCode
}

func manifestClient(t *testing.T, s *githubtest.Server) *github.Client {
	t.Helper()
	c := github.NewClient(s.Client())
	u, err := url.Parse(s.APIURL)
	if err != nil {
		t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

func TestManifestFlow(t *testing.T) {
	for _, tt := range []struct{ name, path, org, owner, ownerType string }{
		{"personal", "/settings/apps/new", "", "octocat", "User"},
		{"organisation", "/organizations/acme/settings/apps/new", "acme", "acme", "Organization"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := githubtest.New(t)
			flow := s.EnableManifestFlow()
			if again := s.EnableManifestFlow(); again != flow {
				t.Fatal("EnableManifestFlow is not idempotent")
			}
			loc, status := manifestWeb(t, s, tt.path, testManifest, "st4te")
			if status != http.StatusFound {
				t.Fatalf("status %d, want 302", status)
			}
			q := loc.Query()
			if got := loc.Scheme + "://" + loc.Host + loc.Path; got != "https://f.example.com/setup/callback" {
				t.Errorf("redirect to %s", got)
			}
			if q.Get("state") != "st4te" || q.Get("code") == "" || q.Get("x") != "1" {
				t.Errorf("redirect query %v", q)
			}
			last, ok := flow.LastManifest()
			if !ok || last.Org != tt.org || last.State != "st4te" || last.Manifest.Name != "foureyes-test" ||
				last.Manifest.HookAttributes.URL != "https://f.example.com/api/github/hook" || last.Raw != testManifest {
				t.Errorf("LastManifest = %+v", last)
			}

			c := manifestClient(t, s)
			cfg, resp, err := c.Apps.CompleteAppManifest(context.Background(), q.Get("code"))
			if err != nil || resp.StatusCode != http.StatusCreated {
				t.Fatalf("conversion: %v", err)
			}
			app := flow.Apps()[0]
			if cfg.GetID() != s.AppID || cfg.GetSlug() != s.AppSlug || cfg.GetPEM() != string(s.PrivateKeyPEM) ||
				cfg.GetName() != "foureyes-test" || cfg.GetOwner().GetLogin() != tt.owner || cfg.GetOwner().GetType() != tt.ownerType ||
				cfg.GetWebhookSecret() != app.WebhookSecret || cfg.GetClientID() != app.ClientID ||
				cfg.GetClientSecret() != app.ClientSecret || cfg.GetNodeID() == "" ||
				cfg.GetHTMLURL() != s.URL+"/apps/"+s.AppSlug {
				b, _ := json.Marshal(cfg)
				t.Errorf("conversion answer %s", b)
			}
			if !app.Converted {
				t.Error("app not marked converted")
			}
			// A code converts once.
			_, resp, err = c.Apps.CompleteAppManifest(context.Background(), q.Get("code"))
			if resp == nil || resp.StatusCode != http.StatusNotFound {
				t.Errorf("second conversion: %v", err)
			}
		})
	}
}

func TestManifestCodeExpiresAfterAnHour(t *testing.T) {
	s := githubtest.New(t)
	flow := s.EnableManifestFlow()
	c := manifestClient(t, s)
	young, err := flow.CreateCode([]byte(testManifest), "", "")
	if err != nil {
		t.Fatal(err)
	}
	old, _ := flow.CreateCode([]byte(testManifest), "", "")
	flow.Advance(59 * time.Minute)
	if _, _, err := c.Apps.CompleteAppManifest(context.Background(), young); err != nil {
		t.Errorf("code at 59 minutes: %v", err)
	}
	flow.Advance(time.Minute)
	_, resp, err := c.Apps.CompleteAppManifest(context.Background(), old)
	var ge *github.ErrorResponse
	if !errors.As(err, &ge) || resp.StatusCode != http.StatusNotFound {
		t.Errorf("code at 60 minutes: %v", err)
	}
	if _, resp, _ := c.Apps.CompleteAppManifest(context.Background(), "unknown"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown code: %d", resp.StatusCode)
	}
}

func TestManifestValidation(t *testing.T) {
	for name, m := range map[string]string{
		"not JSON":          `{`,
		"no name":           `{"url":"u","hook_attributes":{"url":"h"},"redirect_url":"https://r"}`,
		"no url":            `{"name":"n","hook_attributes":{"url":"h"},"redirect_url":"https://r"}`,
		"no hook url":       `{"name":"n","url":"u","redirect_url":"https://r"}`,
		"no redirect url":   `{"name":"n","url":"u","hook_attributes":{"url":"h"}}`,
		"relative redirect": `{"name":"n","url":"u","hook_attributes":{"url":"h"},"redirect_url":"/cb"}`,
	} {
		s := githubtest.New(t)
		flow := s.EnableManifestFlow()
		if _, status := manifestWeb(t, s, "/settings/apps/new", m, "x"); status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, status)
		}
		if last, ok := flow.LastManifest(); !ok || last.Raw != m {
			t.Errorf("%s: invalid manifest not recorded", name)
		}
		if len(flow.Apps()) != 0 {
			t.Errorf("%s: app created", name)
		}
	}
}

func TestManifestConversionFails(t *testing.T) {
	s := githubtest.New(t)
	flow := s.EnableManifestFlow()
	code, _ := flow.CreateCode([]byte(testManifest), "", "")
	s.Fail("POST", "/app-manifests/*/conversions", http.StatusBadGateway, 1, nil)
	c := manifestClient(t, s)
	if _, resp, _ := c.Apps.CompleteAppManifest(context.Background(), code); resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	if _, _, err := c.Apps.CompleteAppManifest(context.Background(), code); err != nil {
		t.Fatalf("after the failure: %v", err)
	}
}
