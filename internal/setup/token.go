package setup

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// setupCookie holds the setup token once the operator opened the setup link.
const setupCookie = "foureyes_setup"

// authorized reports whether the request may use the setup form. Without a SetupToken
// everyone who reaches the server may (fine on a laptop or a private network). With one,
// only a browser that opened /setup?token=… may: otherwise anyone who finds a server in
// setup mode could make it adopt an app that they own.
func (h *handler) authorized(r *http.Request) bool {
	if h.cfg.SetupToken == "" {
		return true
	}
	c, err := r.Cookie(setupCookie)
	return err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(h.cfg.SetupToken)) == 1
}

// acceptToken turns ?token=… into a cookie and redirects to the same page without it, so
// the token leaves the address bar and the history. It reports whether it answered.
func (h *handler) acceptToken(w http.ResponseWriter, r *http.Request) bool {
	tok := r.URL.Query().Get("token")
	if h.cfg.SetupToken == "" || tok == "" {
		return false
	}
	if subtle.ConstantTimeCompare([]byte(tok), []byte(h.cfg.SetupToken)) != 1 {
		h.renderError(w, http.StatusForbidden, errorPage{
			Heading: "This setup link is not valid",
			Message: "Open the setup link that foureyes printed in its log when it started.",
		})
		return true
	}
	http.SetCookie(w, &http.Cookie{
		Name: setupCookie, Value: tok, Path: "/", HttpOnly: true,
		// Strict: a cross-site form cannot start a registration in the operator's name.
		SameSite: http.SameSiteStrictMode,
		Secure:   strings.HasPrefix(h.publicURL, "https://"),
	})
	http.Redirect(w, r, r.URL.Path, http.StatusSeeOther)
	return true
}

// refuse answers a request without the setup cookie.
func (h *handler) refuse(w http.ResponseWriter) {
	h.renderError(w, http.StatusForbidden, errorPage{
		Heading: "Open the setup link from the log",
		Message: "This foureyes server is in setup mode and protects it with a token. Open the setup link that foureyes printed in its log when it started (it ends in ?token=…).",
	})
}
