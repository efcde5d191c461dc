package setup

import (
	"bytes"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/foureyes/foureyes"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/rs/zerolog"
)

// env is a setup handler served over real HTTP, next to a fake GitHub with the manifest flow.
type env struct {
	gh        *githubtest.Server
	flow      *githubtest.ManifestFlow
	srv       *httptest.Server
	h         *handler
	credsFile string
	logs      *syncBuffer

	mu        sync.Mutex
	got       []Credentials
	switchErr error
}

// syncBuffer collects logs written from server goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv starts the setup server; opts change its Config before NewHandler.
func newEnv(t *testing.T, opts ...func(*Config)) *env {
	t.Helper()
	e := &env{logs: &syncBuffer{}}
	e.gh = githubtest.New(t)
	e.flow = e.gh.EnableManifestFlow()
	e.credsFile = filepath.Join(t.TempDir(), "credentials.yml")
	// Unstarted, so the public URL is known before the handler is built and no request can
	// race with setting the handler.
	e.srv = httptest.NewUnstartedServer(nil)
	publicURL := "http://" + e.srv.Listener.Addr().String()
	cfg := Config{
		PublicURL:       publicURL,
		WebURL:          e.gh.URL,
		V3APIURL:        e.gh.APIURL,
		CredentialsFile: e.credsFile,
		Manifest:        foureyes.AppManifest,
		Logger:          zerolog.New(e.logs),
	}
	for _, o := range opts {
		o(&cfg)
	}
	hh, err := NewHandler(cfg, e.onRegistered)
	if err != nil {
		t.Fatalf("NewHandler: %v", err)
	}
	e.h = hh.(*handler)
	e.srv.Config.Handler = hh
	e.srv.Start()
	t.Cleanup(e.srv.Close)
	return e
}

func (e *env) onRegistered(c Credentials) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, c)
	return e.switchErr
}

func (e *env) registered() []Credentials {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Credentials(nil), e.got...)
}

// setNow moves the setup handler's clock.
func (e *env) setNow(t time.Time) {
	e.h.now = func() time.Time { return t }
}

// page is one answer of the setup server.
type page struct {
	status int
	body   string
	header http.Header
}

// noRedirect returns redirects to the test instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (e *env) get(t *testing.T, path string) page {
	t.Helper()
	resp, err := noRedirect.Get(e.srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return readPage(t, resp)
}

func (e *env) post(t *testing.T, path string, form url.Values) page {
	t.Helper()
	resp, err := noRedirect.PostForm(e.srv.URL+path, form)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	return readPage(t, resp)
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return page{status: resp.StatusCode, body: string(b), header: resp.Header}
}

var (
	formActionRe = regexp.MustCompile(`<form method="post" action="([^"]*)" id="to-github">`)
	manifestRe   = regexp.MustCompile(`name="manifest" value="([^"]*)"`)
)

// toGitHub is what the register step sends the browser to.
type toGitHub struct {
	action   string
	state    string
	manifest string
}

// register posts the setup form and returns the GitHub form it produced.
func (e *env) register(t *testing.T, form url.Values) toGitHub {
	t.Helper()
	p := e.post(t, "/setup/register", form)
	if p.status != http.StatusOK {
		t.Fatalf("POST /setup/register: status %d, body:\n%s", p.status, p.body)
	}
	a := formActionRe.FindStringSubmatch(p.body)
	m := manifestRe.FindStringSubmatch(p.body)
	if a == nil || m == nil {
		t.Fatalf("no GitHub form in:\n%s", p.body)
	}
	action := html.UnescapeString(a[1])
	u, err := url.Parse(action)
	if err != nil {
		t.Fatalf("form action %q: %v", action, err)
	}
	return toGitHub{action: action, state: u.Query().Get("state"), manifest: html.UnescapeString(m[1])}
}

// startFlow registers on the personal account and has the fake GitHub create the app,
// returning the callback query GitHub would redirect to.
func (e *env) startFlow(t *testing.T) (code, state string) {
	t.Helper()
	g := e.register(t, url.Values{"account": {"personal"}})
	code, err := e.flow.CreateCode([]byte(g.manifest), "", g.state)
	if err != nil {
		t.Fatalf("CreateCode: %v", err)
	}
	return code, g.state
}

func callbackPath(code, state string) string {
	return "/setup/callback?" + url.Values{"code": {code}, "state": {state}}.Encode()
}

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	text := html.UnescapeString(body)
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("page does not contain %q:\n%s", w, body)
		}
	}
}
