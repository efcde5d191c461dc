package setup

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"
	"gopkg.in/yaml.v3"
)

func TestCallbackRegistersTheApp(t *testing.T) {
	e := newEnv(t)
	code, state := e.startFlow(t)
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusOK {
		t.Fatalf("callback: status %d:\n%s", p.status, p.body)
	}
	install := e.gh.URL + "/apps/" + e.gh.AppSlug + "/installations/new"
	mustContain(t, p.body, "foureyes is registered", `href="`+install+`"`, e.credsFile)

	apps := e.flow.Apps()
	if len(apps) != 1 {
		t.Fatalf("fake created %d apps, want 1", len(apps))
	}
	want := Credentials{
		AppID: e.gh.AppID, Slug: e.gh.AppSlug, WebhookSecret: apps[0].WebhookSecret,
		PrivateKey: string(e.gh.PrivateKeyPEM), ClientID: apps[0].ClientID,
		ClientSecret: apps[0].ClientSecret, HTMLURL: e.gh.URL + "/apps/" + e.gh.AppSlug,
	}
	// The file: exact content, mode 0600, and LoadCredentials reads it back.
	st, err := os.Stat(e.credsFile)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("credentials file mode %v, want 0600", st.Mode().Perm())
	}
	raw, _ := os.ReadFile(e.credsFile)
	var onDisk Credentials
	if err := yaml.Unmarshal(raw, &onDisk); err != nil || onDisk != want {
		t.Errorf("credentials file = %+v (err %v), want %+v", onDisk.AppID, err, want.AppID)
	}
	loaded, err := LoadCredentials(e.credsFile)
	if err != nil || loaded != want {
		t.Errorf("LoadCredentials = %v, %v; want the registered app", loaded, err)
	}
	// The switch to normal mode: once, with the same credentials.
	if got := e.registered(); len(got) != 1 || got[0] != want {
		t.Errorf("onRegistered called %d times", len(got))
	}
	// The credentials really authenticate as the app against the fake.
	tr, err := ghinstallation.NewAppsTransport(http.DefaultTransport, loaded.AppID, []byte(loaded.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	tr.BaseURL = strings.TrimSuffix(e.gh.APIURL, "/")
	c := github.NewClient(&http.Client{Transport: tr})
	c.BaseURL, _ = url.Parse(e.gh.APIURL)
	app, _, err := c.Apps.Get(context.Background(), "")
	if err != nil || app.GetID() != e.gh.AppID {
		t.Errorf("GET /app with the saved key: %v, %v", app.GetID(), err)
	}
	// Secrets never reach the logs.
	logs := e.logs.String()
	for _, secret := range []string{want.WebhookSecret, want.ClientSecret, "PRIVATE KEY", code} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, `"app_id":1001`) {
		t.Errorf("registration not logged:\n%s", logs)
	}

	// Afterwards: reload shows the result, the done page works, and nothing registers again.
	if p := e.get(t, callbackPath(code, state)); p.status != http.StatusOK {
		t.Errorf("reloading the callback: status %d", p.status)
	}
	if p := e.get(t, "/setup/done"); p.status != http.StatusOK || !strings.Contains(p.body, install) {
		t.Errorf("GET /setup/done: status %d", p.status)
	}
	if p := e.post(t, "/setup/register", url.Values{"account": {"personal"}}); p.status != http.StatusConflict {
		t.Errorf("second registration: status %d, want 409", p.status)
	}
	if n := len(e.registered()); n != 1 {
		t.Errorf("onRegistered called %d times, want 1", n)
	}
}

func TestDoneBeforeRegistrationRedirects(t *testing.T) {
	e := newEnv(t)
	p := e.get(t, "/setup/done")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/setup" {
		t.Fatalf("GET /setup/done: %d %q", p.status, p.header.Get("Location"))
	}
}

func TestCallbackWrongState(t *testing.T) {
	tests := []struct {
		name    string
		state   func(e *env, valid string) string
		message string
	}{
		{"missing", func(*env, string) string { return "" }, "The link is wrong, was already used"},
		{"unknown", func(*env, string) string { return "forged-state" }, "The link is wrong, was already used"},
		{"expired", func(e *env, valid string) string { e.setNow(time.Now().Add(61 * time.Minute)); return valid }, "more than an hour ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code, valid := e.startFlow(t)
			p := e.get(t, callbackPath(code, tt.state(e, valid)))
			if p.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400", p.status)
			}
			mustContain(t, p.body, "This setup link is not valid", tt.message, `href="/setup"`)
			if _, err := os.Stat(e.credsFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("credentials file written on a bad state: %v", err)
			}
			if len(e.registered()) != 0 || e.flow.Apps()[0].Converted {
				t.Errorf("code exchanged on a bad state")
			}
		})
	}
}

func TestCallbackStateIsSingleUse(t *testing.T) {
	e := newEnv(t)
	code, state := e.startFlow(t)
	e.flow.Advance(2 * time.Hour) // the first attempt fails for good: the code expired
	if p := e.get(t, callbackPath(code, state)); p.status != http.StatusBadRequest {
		t.Fatalf("first use: status %d", p.status)
	}
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusBadRequest {
		t.Fatalf("second use: status %d", p.status)
	}
	mustContain(t, p.body, "was already used")
}

func TestCallbackExpiredOrUnknownCode(t *testing.T) {
	for _, name := range []string{"expired", "unknown", "already used"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			code, state := e.startFlow(t)
			switch name {
			case "expired":
				e.flow.Advance(time.Hour + time.Second)
			case "unknown":
				code = "0000deadbeef"
			case "already used":
				if _, err := e.gh.Client().Post(e.gh.APIURL+"app-manifests/"+code+"/conversions", "application/json", nil); err != nil {
					t.Fatal(err)
				}
			}
			p := e.get(t, callbackPath(code, state))
			if p.status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400:\n%s", p.status, p.body)
			}
			mustContain(t, p.body, "expired or was already used", "within an hour", `id="start-again" href="/setup"`)
			if strings.Contains(p.body, `id="retry"`) {
				t.Errorf("offers to retry a dead code")
			}
			if len(e.registered()) != 0 {
				t.Errorf("onRegistered called")
			}
		})
	}
}

func TestCallbackGitHubDown(t *testing.T) {
	e := newEnv(t)
	code, state := e.startFlow(t)
	e.gh.Fail("POST", "/app-manifests/*/conversions", http.StatusBadGateway, 1, nil)
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502:\n%s", p.status, p.body)
	}
	retry := callbackPath(code, state)
	mustContain(t, p.body, "GitHub answered with an error (HTTP 502)", "Try again", `id="retry" href="`+retry+`"`, `href="/setup"`)
	if len(e.registered()) != 0 {
		t.Fatal("onRegistered called although GitHub failed")
	}
	// The code is still worth the private key: it must not reach the logs.
	if logs := e.logs.String(); strings.Contains(logs, code) || !strings.Contains(logs, "502") {
		t.Errorf("logs leak the code or miss the status:\n%s", logs)
	}
	// GitHub is back: the same link completes the registration.
	if p := e.get(t, retry); p.status != http.StatusOK {
		t.Fatalf("retry: status %d:\n%s", p.status, p.body)
	}
	if len(e.registered()) != 1 {
		t.Fatal("retry did not register")
	}
}

func TestCallbackGitHubRefuses(t *testing.T) {
	e := newEnv(t)
	code, state := e.startFlow(t)
	e.gh.Fail("POST", "/app-manifests/*/conversions", http.StatusUnprocessableEntity, 1, nil)
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusBadRequest {
		t.Fatalf("status %d, want 400", p.status)
	}
	mustContain(t, p.body, "GitHub refused the registration code", "422", `href="/setup"`)
	if strings.Contains(p.body, `id="retry"`) {
		t.Errorf("offers to retry a refused code")
	}
}

func TestCallbackGitHubUnreachable(t *testing.T) {
	e := newEnv(t)
	code, state := e.startFlow(t)
	e.gh.Close()
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", p.status)
	}
	mustContain(t, p.body, "GitHub could not be reached", `id="retry"`)
	if logs := e.logs.String(); strings.Contains(logs, code) {
		t.Errorf("logs leak the code:\n%s", logs)
	}
}

func TestCallbackSwitchFails(t *testing.T) {
	e := newEnv(t)
	e.switchErr = errors.New("webhook handler not ready")
	code, state := e.startFlow(t)
	p := e.get(t, callbackPath(code, state))
	if p.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", p.status)
	}
	mustContain(t, p.body, "restart needed", "webhook handler not ready", "Restart foureyes")
	if _, err := LoadCredentials(e.credsFile); err != nil {
		t.Errorf("credentials not saved: %v", err)
	}
}

func TestCallbackWithoutCode(t *testing.T) {
	e := newEnv(t)
	_, state := e.startFlow(t)
	for _, code := range []string{"", "../../app"} {
		p := e.get(t, callbackPath(code, state))
		if p.status != http.StatusBadRequest {
			t.Fatalf("code %q: status %d, want 400", code, p.status)
		}
	}
}
