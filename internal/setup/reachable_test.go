package setup

import (
	"strings"
	"testing"
)

func TestUnreachableWarning(t *testing.T) {
	for url, want := range map[string]bool{
		"http://localhost:8080":        true,
		"http://LOCALHOST:8080":        true,
		"http://app.localhost":         true,
		"http://127.0.0.1:8080":        true,
		"http://127.1.2.3":             true,
		"http://[::1]:8080":            true,
		"http://0.0.0.0:8080":          true,
		"https://foureyes.example.com": false,
		"https://10.0.0.5:8443":        false, // may be reachable (GHES on the same network)
		"https://abc.ngrok-free.app/x": false,
	} {
		got := unreachableWarning(url)
		if (got != "") != want {
			t.Errorf("%s: warning %q, want warning=%v", url, got, want)
		}
		if want && !strings.Contains(got, "FOUREYES_SERVER_PUBLIC_URL=") {
			t.Errorf("%s: the warning gives no fix: %q", url, got)
		}
	}
}

// Issue #17 point 7: with a public_url GitHub cannot reach, the setup page says so, with
// the fix, above the Register button, and the log says it too; with a public one, no.
func TestSetupPageWarnsUnreachablePublicURL(t *testing.T) {
	e := newEnv(t) // public URL http://127.0.0.1:port
	p := e.get(t, "/setup")
	i, j := strings.Index(p.body, `id="unreachable"`), strings.Index(p.body, `id="submit"`)
	if i < 0 || j < 0 || i > j || !strings.Contains(p.body, "FOUREYES_SERVER_PUBLIC_URL=") {
		t.Fatalf("no warning before the Register button:\n%s", p.body)
	}
	if !strings.Contains(e.logs.String(), "GitHub cannot reach it") {
		t.Fatalf("no warning in the log: %s", e.logs.String())
	}
	e2 := newEnv(t, func(c *Config) { c.PublicURL = "https://foureyes.example.com" })
	if p := e2.get(t, "/setup"); strings.Contains(p.body, `id="unreachable"`) {
		t.Fatal("warning shown for a public URL")
	}
	if strings.Contains(e2.logs.String(), "GitHub cannot reach it") {
		t.Fatal("warning logged for a public URL")
	}
}
