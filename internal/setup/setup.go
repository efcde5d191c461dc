// Package setup is foureyes' first-run mode: without GitHub credentials, `foureyes serve`
// serves a page that registers the GitHub App from app.yml through GitHub's manifest flow,
// saves the credentials GitHub returns, and hands them to the server so it switches to
// normal mode without a restart.
package setup

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"
)

// Config is what the setup page needs from the server configuration.
type Config struct {
	PublicURL       string // where GitHub and browsers reach foureyes (server.public_url)
	WebURL          string // GitHub's web URL, e.g. https://github.com
	V3APIURL        string // GitHub's REST API URL, e.g. https://api.github.com/
	CredentialsFile string // where the app's credentials are written (YAML, mode 0600)
	Manifest        []byte // app.yml with {public_url} placeholders (foureyes.AppManifest)
	Logger          zerolog.Logger
	// SetupToken, when set, must be presented once as /setup?token=… (the server prints that
	// link in its log) before the form can be used. Empty: no check.
	SetupToken string
}

// handler serves the setup routes. It registers at most one app: after a success it refuses
// new registrations, so a second visitor cannot replace the app the server now runs as.
type handler struct {
	cfg          Config
	publicURL    string
	webURL       string
	manifest     manifest
	client       *github.Client
	states       *stateStore
	onRegistered func(Credentials) error
	now          func() time.Time
	mux          *http.ServeMux

	callbackMu sync.Mutex // one exchange at a time: a second app is never converted in a race
	mu         sync.Mutex
	registered *registration
}

// registration is the outcome shown on the done page.
type registration struct {
	state     string // the state that succeeded: reloading its callback shows the done page again
	creds     Credentials
	name      string
	switchErr string // onRegistered failed: credentials are saved, a restart is needed
}

// NewHandler returns the setup page. It serves GET / and GET /setup (the form),
// POST /setup/register (sends the browser to GitHub with the manifest), GET /setup/callback
// (GitHub's redirect: exchanges the code, saves the credentials, calls onRegistered) and
// GET /setup/done. onRegistered is called once, after the credentials file is written.
func NewHandler(cfg Config, onRegistered func(Credentials) error) (http.Handler, error) {
	if onRegistered == nil {
		return nil, errors.New("setup: onRegistered is nil")
	}
	publicURL, err := absoluteURL("public URL", cfg.PublicURL)
	if err != nil {
		return nil, err
	}
	webURL, err := absoluteURL("GitHub web URL", cfg.WebURL)
	if err != nil {
		return nil, err
	}
	if cfg.CredentialsFile == "" {
		return nil, errors.New("setup: credentials file path is empty")
	}
	m, err := parseManifest(cfg.Manifest, publicURL)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	client, err := newManifestClient(cfg.V3APIURL)
	if err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	h := &handler{
		cfg:          cfg,
		publicURL:    publicURL,
		webURL:       webURL,
		manifest:     m,
		client:       client,
		onRegistered: onRegistered,
		now:          time.Now,
		mux:          http.NewServeMux(),
	}
	if w := unreachableWarning(publicURL); w != "" {
		cfg.Logger.Warn().Str("public_url", publicURL).Msg(w)
	}
	h.states = newStateStore(func() time.Time { return h.now() })
	h.mux.HandleFunc("GET /{$}", h.index)
	h.mux.HandleFunc("GET /setup", h.index)
	h.mux.HandleFunc("POST /setup/register", h.register)
	h.mux.HandleFunc("GET /setup/callback", h.callback)
	h.mux.HandleFunc("GET /setup/done", h.done)
	return h, nil
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// absoluteURL checks an http(s) URL and drops the trailing slash, so paths can be appended.
func absoluteURL(what, s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("setup: %s %q is not an absolute http(s) URL", what, s)
	}
	return strings.TrimRight(s, "/"), nil
}

// registeredApp returns the registration, if one succeeded.
func (h *handler) registeredApp() *registration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.registered
}

// installURL is GitHub's page to install the new app on accounts and repositories.
func (h *handler) installURL(slug string) string {
	return h.webURL + "/apps/" + url.PathEscape(slug) + "/installations/new"
}

// done shows the result of the registration, or sends the visitor to the form.
func (h *handler) done(w http.ResponseWriter, r *http.Request) {
	reg := h.registeredApp()
	if reg == nil {
		http.Redirect(w, r, "/setup", http.StatusSeeOther)
		return
	}
	h.renderDone(w, http.StatusOK, reg)
}

// donePage is the content of the done page: no secret, only where they are.
type donePage struct {
	Name, Slug, InstallURL, SettingsURL, CredentialsFile, SwitchErr string
	AppID                                                           int64
}

func (h *handler) renderDone(w http.ResponseWriter, status int, reg *registration) {
	render(w, status, "done", "foureyes is registered", donePage{
		Name:            reg.name,
		Slug:            reg.creds.Slug,
		AppID:           reg.creds.AppID,
		InstallURL:      h.installURL(reg.creds.Slug),
		SettingsURL:     reg.creds.HTMLURL,
		CredentialsFile: h.cfg.CredentialsFile,
		SwitchErr:       reg.switchErr,
	})
}
