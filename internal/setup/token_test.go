package setup

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func withToken(tok string) func(*Config) { return func(c *Config) { c.SetupToken = tok } }

func TestSetupTokenRequired(t *testing.T) {
	e := newEnv(t, withToken("t0ken"))
	for _, path := range []string{"/", "/setup"} {
		if p := e.get(t, path); p.status != http.StatusForbidden {
			t.Errorf("GET %s without token: status %d, want 403", path, p.status)
		} else {
			mustContain(t, p.body, "setup link that foureyes printed in its log")
		}
	}
	if p := e.get(t, "/setup?token=wrong"); p.status != http.StatusForbidden {
		t.Errorf("wrong token: status %d, want 403", p.status)
	}
	if p := e.post(t, "/setup/register", url.Values{"account": {"personal"}}); p.status != http.StatusForbidden {
		t.Errorf("register without cookie: status %d, want 403", p.status)
	}

	// The right token becomes a cookie, and the URL loses it.
	p := e.get(t, "/setup?token=t0ken")
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/setup" {
		t.Fatalf("good token: %d %q", p.status, p.header.Get("Location"))
	}
	resp := &http.Response{Header: p.header}
	cookies := resp.Cookies()
	if len(cookies) != 1 || cookies[0].Name != setupCookie || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookies)
	}
	form := url.Values{"account": {"personal"}}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/setup/register", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookies[0])
	r2, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if got := readPage(t, r2); got.status != http.StatusOK {
		t.Errorf("register with cookie: status %d", got.status)
	}
}
