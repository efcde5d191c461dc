package console

import (
	"context"
	"crypto/ed25519"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// ConsoleStore is what the console needs of the store: sessions, the query API, the
// audit log (to append review notes, trace a change, export) and checkpoints (the last
// verification, shared by replicas).
type ConsoleStore interface {
	store.Sessions
	store.Console
	store.Audit
	store.Checkpoints
	store.ChainReader
	store.Pushes
}

// Config is what the console is built from.
type Config struct {
	PublicURL    string // server.public_url: the callback and the cookies' Secure flag derive from it
	WebURL       string // github.web_url: where to log in
	V3APIURL     string // github.v3_api_url: GET user
	ClientID     string // github.app.client_id
	ClientSecret string // github.app.client_secret
	SessionTTL   time.Duration
	StoreName    string // named in export manifests
	// PublicKey is the audit log's signing key (the server holds it): export manifests
	// and evidence packages name it, as the CLI's do with audit.signing_key.
	PublicKey  ed25519.PublicKey
	Store      ConsoleStore
	Authorizer Authorizer
	HTTPClient *http.Client // for GitHub's OAuth endpoints (default: 30 s timeout)
	Logger     zerolog.Logger
	Now        func() time.Time
}

// Console serves /console/.
type Console struct {
	cfg      Config
	mux      *http.ServeMux
	pages    *template.Template
	secure   bool
	verifier *verifier
	now      func() time.Time
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/console.css
var consoleCSS []byte

// New builds the console. Without a client id it still serves, and says on every page
// that the login is not configured.
func New(cfg Config) (*Console, error) {
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	u, err := url.Parse(cfg.PublicURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("console: server.public_url %q is not an absolute URL", cfg.PublicURL)
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("console templates: %w", err)
	}
	c := &Console{cfg: cfg, mux: http.NewServeMux(), pages: t, secure: u.Scheme == "https", now: cfg.Now}
	c.verifier = newVerifier(cfg.Store, cfg.Now, cfg.Logger)
	c.routes()
	return c, nil
}

func (c *Console) routes() {
	m := c.mux
	m.HandleFunc("GET /console/static/console.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(consoleCSS)
	})
	m.HandleFunc("GET /console/auth/login", c.login)
	m.HandleFunc("GET /console/auth/callback", c.callback)
	m.HandleFunc("POST /console/auth/logout", c.logout)
	m.HandleFunc("GET /console/{$}", c.page(c.posture))
	m.HandleFunc("GET /console/changes", c.page(c.changes))
	m.HandleFunc("GET /console/changes/download", c.page(c.download))
	m.HandleFunc("GET /console/changes/{owner}/{repo}/pull/{number}", c.page(c.changePR))
	m.HandleFunc("GET /console/changes/{owner}/{repo}/commit/{sha}", c.page(c.changeSHA))
	m.HandleFunc("GET /console/changes/{owner}/{repo}/pull/{number}/evidence.zip", c.page(c.evidencePackage))
	m.HandleFunc("GET /console/changes/{owner}/{repo}/commit/{sha}/evidence.zip", c.page(c.evidencePackage))
	m.HandleFunc("GET /console/report", c.page(c.report))
	m.HandleFunc("GET /console/exceptions", c.page(c.exceptions))
	m.HandleFunc("POST /console/exceptions/{seq}/notes", c.page(c.addNote))
	m.HandleFunc("GET /console/audit", c.page(c.auditPage))
	m.HandleFunc("POST /console/audit/verify", c.page(c.startVerify))
	m.HandleFunc("/console", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/console/", http.StatusFound) })
}

// ServeHTTP serves every /console/ route with the security headers.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self' "+
		c.cfg.WebURL+"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	c.mux.ServeHTTP(w, r)
}

// Close stops a verification under way.
func (c *Console) Close() { c.verifier.stop() }

// EndUserSessions ends every session of a GitHub user (their authorization was revoked).
func (c *Console) EndUserSessions(ctx context.Context, userID int64) (int64, error) {
	return c.cfg.Store.DeleteUserSessions(ctx, userID)
}

// handlerFunc is a page: it gets the request's session and writes the answer.
type handlerFunc func(w http.ResponseWriter, r *http.Request, s *session) error

// httpError is an error with the status its page shows.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

var errNotFound = &httpError{http.StatusNotFound, "not found (or not yours to see)"}

// page wraps a page with the session: no session sends a browser to the login (POSTs
// get 401), no access shows the 403 page, and a POST must carry the CSRF token.
func (c *Console) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := c.session(r)
		switch {
		case errors.Is(err, errNoSession):
			if r.Method != http.MethodGet {
				c.renderError(w, r, nil, &httpError{http.StatusUnauthorized, "your session ended: log in again"})
				return
			}
			http.Redirect(w, r, "/console/auth/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
			return
		case err != nil:
			c.cfg.Logger.Error().Err(err).Msg("console: session")
			c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable, "foureyes cannot check your access on GitHub right now; try again in a minute"})
			return
		}
		if s.access.Role == RoleNone {
			c.renderError(w, r, s, &httpError{http.StatusForbidden, "you have no access"})
			return
		}
		if r.Method == http.MethodPost && !c.csrfOK(r, s) {
			c.renderError(w, r, s, &httpError{http.StatusForbidden, "this form has expired or did not come from foureyes (CSRF check failed): go back, reload and try again"})
			return
		}
		if err := h(w, r, s); err != nil {
			var he *httpError
			if !errors.As(err, &he) {
				c.cfg.Logger.Error().Err(err).Str("path", r.URL.Path).Msg("console page failed")
				he = &httpError{http.StatusInternalServerError, "something went wrong; the server log says what"}
			}
			c.renderError(w, r, s, he)
		}
	}
}

// sameOrigin is the host browsers reach us on, for the Origin check.
func (c *Console) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == "" // no Origin (older browsers, non-browser clients): the token decides
	}
	pu, _ := url.Parse(c.cfg.PublicURL)
	ou, err := url.Parse(o)
	return err == nil && strings.EqualFold(ou.Scheme, pu.Scheme) && strings.EqualFold(ou.Host, pu.Host)
}
