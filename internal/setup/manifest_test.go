package setup

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/foureyes/foureyes"
	"github.com/rs/zerolog"
)

// TestAppManifestPermissions pins app.yml to exactly what foureyes uses: a permission added
// here is a change an auditor will ask about.
func TestAppManifestPermissions(t *testing.T) {
	m, err := parseManifest(foureyes.AppManifest, "https://foureyes.example.com")
	if err != nil {
		t.Fatal(err)
	}
	wantPerms := map[string]string{
		"metadata": "read", "pull_requests": "write", "checks": "write", "statuses": "read",
		"contents": "read", "deployments": "write", "actions": "read", "merge_queues": "read",
		"members": "read", "administration": "read",
	}
	got := map[string]string{}
	for _, p := range m.permissions() {
		got[p.Name] = p.Level
	}
	if !reflect.DeepEqual(got, wantPerms) {
		t.Errorf("permissions = %v, want %v", got, wantPerms)
	}
	wantEvents := []string{"branch_protection_rule", "check_run", "check_suite", "deployment", "deployment_protection_rule", "deployment_review",
		"deployment_status", "issue_comment", "merge_group", "pull_request", "pull_request_review", "push", "repository",
		"repository_ruleset", "status"}
	events := m.events()
	sort.Strings(events)
	if !reflect.DeepEqual(events, wantEvents) {
		t.Errorf("events = %v, want %v", events, wantEvents)
	}
	for k, want := range map[string]string{
		"url": "https://foureyes.example.com/", "redirect_url": "https://foureyes.example.com/setup/callback",
	} {
		if m[k] != want {
			t.Errorf("%s = %v, want %s", k, m[k], want)
		}
	}
	if m.hookURL() != "https://foureyes.example.com/api/github/hook" {
		t.Errorf("hook url = %s", m.hookURL())
	}
	if m["public"] != false {
		t.Errorf("public = %v, want false", m["public"])
	}
}

func TestNewHandlerRejectsBadConfig(t *testing.T) {
	ok := Config{PublicURL: "https://f.example.com", WebURL: "https://github.com", V3APIURL: "https://api.github.com/",
		CredentialsFile: "/tmp/x.yml", Manifest: foureyes.AppManifest, Logger: zerolog.Nop()}
	tests := map[string]func(c *Config){
		"relative public URL": func(c *Config) { c.PublicURL = "foureyes.example.com" },
		"no web URL":          func(c *Config) { c.WebURL = "" },
		"bad API URL":         func(c *Config) { c.V3APIURL = "::" },
		"no credentials file": func(c *Config) { c.CredentialsFile = "" },
		"no manifest":         func(c *Config) { c.Manifest = nil },
		"manifest without hook": func(c *Config) {
			c.Manifest = []byte("name: x\nurl: '{public_url}/'\nredirect_url: '{public_url}/setup/callback'\n")
		},
		"manifest with an unknown placeholder": func(c *Config) {
			c.Manifest = []byte(strings.Replace(string(foureyes.AppManifest), "{public_url}/setup", "{base}/setup", 1))
		},
	}
	noop := func(Credentials) error { return nil }
	if _, err := NewHandler(ok, noop); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	if _, err := NewHandler(ok, nil); err == nil {
		t.Error("nil callback accepted")
	}
	for name, mutate := range tests {
		c := ok
		mutate(&c)
		if _, err := NewHandler(c, noop); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
