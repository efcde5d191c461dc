package console

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// Cookie names. The session cookie holds a random token whose hash names the session
// in the store; the login cookie binds a login under way to the browser that began it.
const (
	sessionCookie = "foureyes_console"
	loginCookie   = "foureyes_console_login"
)

var errNoSession = errors.New("no session")

// session is the request's logged-in user.
type session struct {
	store.Session
	access Access
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// cookie is a console cookie: HttpOnly, SameSite=Lax, Secure behind https, path /console.
func (c *Console) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/console", HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		ck.MaxAge = int(maxAge / time.Second)
	} else {
		ck.MaxAge = -1
	}
	return ck
}

// session loads the request's session and refreshes its access when older than
// accessCache. A GitHub error while refreshing is an error (never "no access").
func (c *Console) session(r *http.Request) (*session, error) { return c.loadSession(r, true) }

// loadSession is session, with refresh false for logout (which needs no access).
func (c *Console) loadSession(r *http.Request, refresh bool) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || len(ck.Value) != 64 {
		return nil, errNoSession
	}
	now := c.now()
	ss, err := c.cfg.Store.GetSession(r.Context(), hashToken(ck.Value), now)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	s := &session{Session: ss}
	if err := json.Unmarshal(ss.Access, &s.access); refresh && (err != nil || now.Sub(ss.CheckedAt) >= accessCache || now.Before(ss.CheckedAt)) {
		a, err := c.cfg.Authorizer.Access(r.Context(), ss.Login)
		if err != nil {
			return nil, fmt.Errorf("re-check access of %s: %w", ss.Login, err)
		}
		raw, _ := json.Marshal(a)
		if err := c.cfg.Store.UpdateSessionAccess(r.Context(), ss.TokenHash, now, raw); err != nil {
			return nil, err
		}
		s.access, s.CheckedAt = a, now
	}
	return s, nil
}

// csrfOK checks a POST: its form's token must be the session's, and a browser's Origin
// header, when sent, must be ours.
func (c *Console) csrfOK(r *http.Request, s *session) bool {
	if !c.sameOrigin(r) {
		return false
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	tok := r.PostFormValue("csrf")
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.CSRF)) == 1
}
