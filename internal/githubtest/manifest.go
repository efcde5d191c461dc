package githubtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// manifestCodeTTL is GitHub's limit: a manifest code must be converted within an hour.
const manifestCodeTTL = time.Hour

// ManifestFlow is the fake's side of GitHub's "register an app from a manifest" flow:
//
//	POST /settings/apps/new                       (form field manifest, state in query or form)
//	POST /organizations/{org}/settings/apps/new   a page with a "Create GitHub App" button
//	POST /settings/apps/new/confirm               the button: 302 to redirect_url?code=…&state=…
//	POST /api/v3/app-manifests/{code}/conversions 201 with the app's credentials, once per code
//
// The app it "creates" is the fake's own app (s.AppID, s.PrivateKeyPEM, s.AppSlug), so the
// credentials a test receives really authenticate against the fake afterwards.
type ManifestFlow struct {
	s *Server

	mu      sync.Mutex
	offset  time.Duration // the flow's fake clock: time.Now() + offset
	user    string
	pending map[string]ReceivedManifest // confirm token -> manifest awaiting the button
	codes   map[string]*ManifestApp
	last    *ReceivedManifest
	order   []string // codes in creation order
}

// AppManifest is the part of a GitHub App manifest that GitHub validates or tests check.
type AppManifest struct {
	Name           string `json:"name"`
	URL            string `json:"url"`
	Description    string `json:"description,omitempty"`
	Public         bool   `json:"public"`
	HookAttributes struct {
		URL    string `json:"url"`
		Active *bool  `json:"active,omitempty"`
	} `json:"hook_attributes"`
	RedirectURL        string            `json:"redirect_url"`
	CallbackURLs       []string          `json:"callback_urls,omitempty"`
	SetupURL           string            `json:"setup_url,omitempty"`
	DefaultPermissions map[string]string `json:"default_permissions,omitempty"`
	DefaultEvents      []string          `json:"default_events,omitempty"`
}

// ReceivedManifest is one manifest posted to the fake's web page.
type ReceivedManifest struct {
	Raw      string      // the manifest form field, as posted
	Manifest AppManifest // Raw decoded
	Org      string      // "" for a personal account
	State    string
	At       time.Time // on the flow's clock
}

// ManifestApp is an app created by a click on "Create GitHub App", and its one-time code.
type ManifestApp struct {
	Code          string
	Manifest      ReceivedManifest
	Owner         string
	ClientID      string
	ClientSecret  string
	WebhookSecret string
	CreatedAt     time.Time
	Converted     bool
}

// manifestFlows attaches a ManifestFlow to its Server: Server is owned by server.go, and the
// routes must be registered only once per server.
var manifestFlows sync.Map // *Server -> *ManifestFlow

// EnableManifestFlow registers the manifest routes on s (once) and returns the flow, whose
// methods observe and steer it. Calling it again returns the same flow.
func (s *Server) EnableManifestFlow() *ManifestFlow {
	m := &ManifestFlow{s: s, user: "octocat", pending: map[string]ReceivedManifest{}, codes: map[string]*ManifestApp{}}
	if got, loaded := manifestFlows.LoadOrStore(s, m); loaded {
		return got.(*ManifestFlow)
	}
	s.HandleFunc("POST /settings/apps/new", m.handleNew)
	s.HandleFunc("POST /organizations/{org}/settings/apps/new", m.handleNew)
	s.HandleFunc("POST /settings/apps/new/confirm", m.handleConfirm)
	s.HandleFunc("POST "+apiPrefix+"/app-manifests/{code}/conversions", m.handleConversion)
	return m
}

// Advance moves the flow's clock forward, to expire codes (one hour) without waiting.
func (m *ManifestFlow) Advance(d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.offset += d
}

// SetUser sets the login that owns apps created on a personal account (default "octocat").
func (m *ManifestFlow) SetUser(login string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.user = login
}

// LastManifest returns the last manifest posted to the web page, valid or not.
func (m *ManifestFlow) LastManifest() (ReceivedManifest, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.last == nil {
		return ReceivedManifest{}, false
	}
	return *m.last, true
}

// Apps returns the apps created so far, oldest first.
func (m *ManifestFlow) Apps() []ManifestApp {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]ManifestApp, 0, len(m.order))
	for _, c := range m.order {
		out = append(out, *m.codes[c])
	}
	return out
}

// CreateCode creates an app from manifest on org ("" = personal account) as if the user had
// clicked "Create GitHub App", and returns its code: for tests that skip the browser.
func (m *ManifestFlow) CreateCode(manifest []byte, org, state string) (string, error) {
	rm, err := m.receive(string(manifest), org, state)
	if err != nil {
		return "", err
	}
	return m.create(rm).Code, nil
}

func (m *ManifestFlow) now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return time.Now().Add(m.offset)
}

// receive records and validates a posted manifest as GitHub does before showing its page.
func (m *ManifestFlow) receive(raw, org, state string) (ReceivedManifest, error) {
	rm := ReceivedManifest{Raw: raw, Org: org, State: state, At: m.now()}
	err := json.Unmarshal([]byte(raw), &rm.Manifest)
	m.mu.Lock()
	m.last = &rm
	m.mu.Unlock()
	if err != nil {
		return rm, fmt.Errorf("manifest is not valid JSON: %w", err)
	}
	mf := rm.Manifest
	var missing []string
	for _, f := range []struct{ name, v string }{{"name", mf.Name}, {"url", mf.URL}, {"hook_attributes.url", mf.HookAttributes.URL}, {"redirect_url", mf.RedirectURL}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return rm, fmt.Errorf("manifest is missing %s", strings.Join(missing, ", "))
	}
	if u, err := url.Parse(mf.RedirectURL); err != nil || !u.IsAbs() {
		return rm, errors.New("manifest redirect_url is not an absolute URL")
	}
	return rm, nil
}

// create issues the app and its one-time code.
func (m *ManifestFlow) create(rm ReceivedManifest) *ManifestApp {
	app := &ManifestApp{
		Code: manifestRandom(20), Manifest: rm, ClientID: "Iv1." + manifestRandom(8),
		ClientSecret: manifestRandom(20), WebhookSecret: manifestRandom(20), CreatedAt: m.now(),
	}
	// The app is the fake's own: with its OAuth app enabled, the same OAuth client, so a
	// login with the converted credentials works.
	if o, ok := oauthApps.Load(m.s); ok {
		app.ClientID, app.ClientSecret = o.(*OAuth).ClientID, o.(*OAuth).ClientSecret
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	app.Owner = rm.Org
	if app.Owner == "" {
		app.Owner = m.user
	}
	m.codes[app.Code] = app
	m.order = append(m.order, app.Code)
	return app
}

// handleNew is GitHub's "Create GitHub App" page for a posted manifest.
func (m *ManifestFlow) handleNew(w http.ResponseWriter, r *http.Request) {
	state := r.URL.Query().Get("state")
	if state == "" {
		state = r.PostFormValue("state")
	}
	rm, err := m.receive(r.PostFormValue("manifest"), r.PathValue("org"), state)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, "<!doctype html><title>Invalid manifest</title><h1>Invalid GitHub App manifest</h1><p id=\"error\">%s</p>", html.EscapeString(err.Error()))
		return
	}
	token := manifestRandom(16)
	m.mu.Lock()
	m.pending[token] = rm
	m.mu.Unlock()
	owner := "your personal account"
	if rm.Org != "" {
		owner = "the " + rm.Org + " organization"
	}
	fmt.Fprintf(w, `<!doctype html><title>Create GitHub App</title><h1>Create GitHub App for %s</h1>
<p>Name: <strong id="app-name">%s</strong></p><p>Webhook URL: %s</p>
<form method="post" action="/settings/apps/new/confirm"><input type="hidden" name="token" value="%s">
<button type="submit" id="create">Create GitHub App</button></form>`,
		html.EscapeString(owner), html.EscapeString(rm.Manifest.Name), html.EscapeString(rm.Manifest.HookAttributes.URL), token)
}

// handleConfirm creates the app and sends the browser back to redirect_url with the code and
// the state it received.
func (m *ManifestFlow) handleConfirm(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	m.mu.Lock()
	rm, ok := m.pending[token]
	delete(m.pending, token)
	m.mu.Unlock()
	if !ok {
		http.Error(w, "unknown or already used manifest confirmation", http.StatusNotFound)
		return
	}
	app := m.create(rm)
	u, _ := url.Parse(rm.Manifest.RedirectURL) // checked in receive
	q := u.Query()
	q.Set("code", app.Code)
	if rm.State != "" {
		q.Set("state", rm.State)
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// handleConversion is POST /app-manifests/{code}/conversions: 201 with the credentials once,
// then 404 (as for an unknown code or one older than an hour).
func (m *ManifestFlow) handleConversion(w http.ResponseWriter, r *http.Request) {
	now := m.now()
	m.mu.Lock()
	app, ok := m.codes[r.PathValue("code")]
	if ok && (app.Converted || now.Sub(app.CreatedAt) >= manifestCodeTTL) {
		ok = false
	}
	if ok {
		app.Converted = true
	}
	var a ManifestApp
	if ok {
		a = *app
	}
	m.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s := m.s
	ownerType := "User"
	if a.Manifest.Org != "" {
		ownerType = "Organization"
	}
	mf := a.Manifest.Manifest
	writeJSON(w, http.StatusCreated, map[string]any{
		"id":      s.AppID,
		"slug":    s.AppSlug,
		"node_id": fmt.Sprintf("A_kwfake%d", s.AppID),
		"owner": map[string]any{
			"login": a.Owner, "id": 4242, "type": ownerType, "html_url": s.URL + "/" + a.Owner,
		},
		"name":           mf.Name,
		"description":    mf.Description,
		"external_url":   mf.URL,
		"html_url":       s.URL + "/apps/" + s.AppSlug,
		"created_at":     a.CreatedAt.UTC().Format(time.RFC3339),
		"updated_at":     a.CreatedAt.UTC().Format(time.RFC3339),
		"permissions":    mf.DefaultPermissions,
		"events":         mf.DefaultEvents,
		"client_id":      a.ClientID,
		"client_secret":  a.ClientSecret,
		"webhook_secret": a.WebhookSecret,
		"pem":            string(s.PrivateKeyPEM),
	})
}

// manifestRandom returns n random bytes in hex, for codes, tokens and secrets.
func manifestRandom(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("githubtest: random: " + err.Error())
	}
	return hex.EncodeToString(b)
}
