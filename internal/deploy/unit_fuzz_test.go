package deploy

import (
	"net/url"
	"path"
	"strings"
	"testing"
)

// FuzzCheckCallback: whatever the callback URL, an accepted one points at the configured
// API host, scheme and port, below its path, at this repository's run, with nothing that
// a client would resolve elsewhere (dot segments, escapes, credentials, query).
func FuzzCheckCallback(f *testing.F) {
	for _, s := range []string{
		"https://api.github.com/repos/acme/payments/actions/runs/42/deployment_protection_rule",
		"https://api.github.com:443/repos/acme/payments/actions/runs/42/deployment_protection_rule",
		"https://ghe.example.com/api/v3/repos/acme/payments/actions/runs/9/deployment_protection_rule",
		"https://api.github.com@evil.example/repos/acme/payments/actions/runs/42/deployment_protection_rule",
		"https://ghe.example.com/api/v3/../../repos/acme/payments/actions/runs/9/deployment_protection_rule",
		"https://api.github.com/repos/acme%2Fx/payments/actions/runs/42/deployment_protection_rule",
		"https://API.GITHUB.COM./repos/acme/payments/actions/runs/1/deployment_protection_rule",
		"HTTPS://api.github.com/repos/./payments/actions/runs/1/deployment_protection_rule",
		"https://api.github.com/repos/acme/payments/actions/runs/99999999999999999999/deployment_protection_rule",
		"//api.github.com/repos/acme/payments/actions/runs/1/deployment_protection_rule",
		"",
	} {
		f.Add("https://api.github.com/", s)
		f.Add("https://ghe.example.com/api/v3/", s)
	}
	f.Fuzz(func(t *testing.T, apiURL, callbackURL string) {
		run, err := CheckCallback(apiURL, callbackURL, "acme/payments")
		if err != nil {
			if run != 0 {
				t.Fatalf("refused with run %d", run)
			}
			return
		}
		if run <= 0 {
			t.Fatalf("accepted with run %d", run)
		}
		api, _ := url.Parse(apiURL)
		cb, perr := url.Parse(callbackURL)
		if perr != nil {
			t.Fatalf("accepted a URL that does not parse: %v", perr)
		}
		if cb.Opaque != "" || cb.User != nil || cb.RawQuery != "" || cb.Fragment != "" || cb.RawPath != "" || strings.Contains(callbackURL, "#") {
			t.Fatalf("accepted %q with opaque/user/query/fragment/escapes", callbackURL)
		}
		if !strings.EqualFold(cb.Scheme, api.Scheme) || hostPort(cb) != hostPort(api) || cb.Host == "" {
			t.Fatalf("accepted %q for API %q: another place", callbackURL, apiURL)
		}
		if path.Clean(cb.Path) != cb.Path {
			t.Fatalf("accepted %q: its path has dot segments", callbackURL)
		}
		if !strings.HasSuffix(cb.Path, "/deployment_protection_rule") || !strings.HasPrefix(cb.Path, strings.TrimSuffix(api.Path, "/")+"/repos/") {
			t.Fatalf("accepted %q: another endpoint", callbackURL)
		}
		// What go-github would request: the URL resolved against the API base.
		if got, rerr := api.Parse(callbackURL); rerr != nil || hostPort(got) != hostPort(api) || got.Path != cb.Path {
			t.Fatalf("accepted %q, which resolves to %v (%v)", callbackURL, got, rerr)
		}
	})
}

// FuzzDecodeRequest: arbitrary payload bytes never panic, and a decoded request names
// its environment, repository and installation.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"action":"requested","environment":"prod","event":"push","sha":"abc","ref":"refs/heads/main","deployment_callback_url":"https://api.github.com/repos/o/r/actions/runs/1/deployment_protection_rule","deployment":{"sha":"d","ref":"r","creator":{"login":"github-actions[bot]","type":"Bot"}},"pull_requests":[{"number":1},null],"repository":{"name":"r","full_name":"o/r","owner":{"login":"o"},"default_branch":"main"},"installation":{"id":5},"sender":{"login":"u","type":"User"}}`,
		`{"action":"requested","environment":"prod","repository":{"name":"r","full_name":"o/r"},"installation":{"id":5}}`,
		`{"sha":1}`, `null`, `[]`, `{"repository":null,"deployment":null}`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := DecodeRequest("d", payload)
		if err != nil {
			return
		}
		if r.Environment == "" || r.Owner == "" || r.Repo == "" || r.InstallationID == 0 || r.DeliveryID != "d" {
			t.Fatalf("accepted an incomplete request: %+v", r)
		}
	})
}
