package setup

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSetupPageServed(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{"/", "/setup"} {
		p := e.get(t, path)
		if p.status != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, p.status)
		}
		mustContain(t, p.body, "Register foureyes on GitHub", `name="account" value="organization"`, `name="org"`,
			e.srv.URL+"/api/github/hook", "deployments", "deployment_protection_rule")
		if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy = %q", csp)
		}
		if strings.Contains(p.body, "http://") && strings.Contains(p.body, `<link`) {
			t.Errorf("page loads an external asset")
		}
	}
}

func TestRegisterFormTarget(t *testing.T) {
	tests := []struct {
		name       string
		form       url.Values
		wantPath   string
		wantStatus int
		wantError  string
	}{
		{name: "personal", form: url.Values{"account": {"personal"}, "org": {"ignored"}}, wantPath: "/settings/apps/new", wantStatus: 200},
		{name: "organisation", form: url.Values{"account": {"organization"}, "org": {" acme-corp "}}, wantPath: "/organizations/acme-corp/settings/apps/new", wantStatus: 200},
		{name: "organisation without login", form: url.Values{"account": {"organization"}}, wantStatus: 400, wantError: "Enter the organisation"},
		{name: "organisation with a bad login", form: url.Values{"account": {"organization"}, "org": {"acme/../x"}}, wantStatus: 400, wantError: "Enter the organisation"},
		{name: "no account type", form: url.Values{}, wantStatus: 400, wantError: "Choose a personal account or an organisation"},
		{name: "app name too long", form: url.Values{"account": {"personal"}, "app_name": {strings.Repeat("x", 35)}}, wantStatus: 400, wantError: "34 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			if tt.wantStatus != 200 {
				p := e.post(t, "/setup/register", tt.form)
				if p.status != tt.wantStatus {
					t.Fatalf("status %d, want %d", p.status, tt.wantStatus)
				}
				mustContain(t, p.body, tt.wantError, `id="register"`)
				return
			}
			g := e.register(t, tt.form)
			u, _ := url.Parse(g.action)
			if got := u.Scheme + "://" + u.Host; got != e.gh.URL {
				t.Errorf("form goes to %s, want the GitHub web URL %s", got, e.gh.URL)
			}
			if u.Path != tt.wantPath {
				t.Errorf("form path %q, want %q", u.Path, tt.wantPath)
			}
			if len(g.state) < 40 {
				t.Errorf("state %q is too short to be unguessable", g.state)
			}
		})
	}
}

func TestRegisterStatesAreUnique(t *testing.T) {
	e := newEnv(t)
	a := e.register(t, url.Values{"account": {"personal"}})
	b := e.register(t, url.Values{"account": {"personal"}})
	if a.state == b.state {
		t.Fatalf("two registrations got the same state %q", a.state)
	}
}

func TestManifestURLsFromPublicURL(t *testing.T) {
	e := newEnv(t)
	g := e.register(t, url.Values{"account": {"personal"}, "app_name": {"foureyes-acme"}})
	var m struct {
		Name           string `json:"name"`
		URL            string `json:"url"`
		Public         bool   `json:"public"`
		HookAttributes struct {
			URL    string `json:"url"`
			Active bool   `json:"active"`
		} `json:"hook_attributes"`
		RedirectURL        string            `json:"redirect_url"`
		DefaultPermissions map[string]string `json:"default_permissions"`
		DefaultEvents      []string          `json:"default_events"`
	}
	if err := json.Unmarshal([]byte(g.manifest), &m); err != nil {
		t.Fatalf("manifest is not JSON: %v\n%s", err, g.manifest)
	}
	pub := e.srv.URL
	checks := map[string][2]string{
		"name":                {m.Name, "foureyes-acme"},
		"url":                 {m.URL, pub + "/"},
		"hook_attributes.url": {m.HookAttributes.URL, pub + "/api/github/hook"},
		"redirect_url":        {m.RedirectURL, pub + "/setup/callback"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s = %q, want %q", k, v[0], v[1])
		}
	}
	if m.Public || !m.HookAttributes.Active {
		t.Errorf("public = %v, hook active = %v; want a private app with an active hook", m.Public, m.HookAttributes.Active)
	}
	if strings.Contains(g.manifest, placeholder) {
		t.Errorf("manifest still has a placeholder: %s", g.manifest)
	}
	if m.DefaultPermissions["checks"] != "write" || len(m.DefaultEvents) == 0 {
		t.Errorf("permissions or events lost: %v %v", m.DefaultPermissions, m.DefaultEvents)
	}
}

func TestPublicURLTrailingSlash(t *testing.T) {
	m, err := parseManifest([]byte("name: x\nurl: '{public_url}/'\nhook_attributes: {url: '{public_url}/api/github/hook'}\nredirect_url: '{public_url}/setup/callback'\n"), "https://foureyes.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if got := m.hookURL(); got != "https://foureyes.example.com/api/github/hook" {
		t.Errorf("hook URL %q", got)
	}
	if got, _ := absoluteURL("public URL", "https://foureyes.example.com/"); got != "https://foureyes.example.com" {
		t.Errorf("absoluteURL kept the slash: %q", got)
	}
}

func TestRegisterRefusedWhenCredentialsCannotBeSaved(t *testing.T) {
	e := newEnv(t)
	if err := saveCredentials(e.credsFile, Credentials{AppID: 1}); err != nil {
		t.Fatal(err)
	}
	p := e.post(t, "/setup/register", url.Values{"account": {"personal"}})
	if p.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", p.status)
	}
	mustContain(t, p.body, "cannot save", "already exists", `href="/setup"`)
}
