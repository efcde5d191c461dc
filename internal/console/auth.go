package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"golang.org/x/oauth2"

	"github.com/foureyes/foureyes/internal/store"
)

// loginTTL bounds a login under way: GitHub's codes last ten minutes.
const loginTTL = 10 * time.Minute

// oauthConfig is the app's OAuth client, every URL derived from the configured ones so
// GitHub Enterprise Server works the same.
func (c *Console) oauthConfig() *oauth2.Config {
	web := strings.TrimSuffix(c.cfg.WebURL, "/")
	return &oauth2.Config{
		ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret,
		Endpoint: oauth2.Endpoint{AuthURL: web + "/login/oauth/authorize", TokenURL: web + "/login/oauth/access_token",
			AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: strings.TrimSuffix(c.cfg.PublicURL, "/") + "/console/auth/callback",
	}
}

// safeNext keeps a post-login destination inside the console (no open redirect).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/console/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/console/"
	}
	return next
}

// login starts GitHub's web flow: a fresh state and PKCE verifier, stored server-side
// (the state hashed), the state also in a short cookie of this browser.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	if c.cfg.ClientID == "" || c.cfg.ClientSecret == "" {
		c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable,
			"the console login is not configured: set github.app.client_id and github.app.client_secret (the setup page stores them for apps it registers)"})
		return
	}
	// Expired sessions and abandoned logins go here: every login pays for a small cleanup.
	if err := c.cfg.Store.PruneSessions(r.Context(), c.now(), c.now().Add(-loginTTL)); err != nil {
		c.cfg.Logger.Warn().Err(err).Msg("console: prune sessions")
	}
	state, verifier := randomToken(), oauth2.GenerateVerifier()
	err := c.cfg.Store.PutLogin(r.Context(), store.PendingLogin{StateHash: hashToken(state), Verifier: verifier,
		ReturnTo: safeNext(r.URL.Query().Get("next")), CreatedAt: c.now()})
	if err != nil {
		c.cfg.Logger.Error().Err(err).Msg("console: store login")
		c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable, "cannot start a login right now"})
		return
	}
	http.SetCookie(w, c.cookie(loginCookie, state, loginTTL))
	http.Redirect(w, r, c.oauthConfig().AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback ends the web flow: the state must be the one this browser began with and
// still pending; the code is exchanged with the verifier; the user token reads GET
// /user once and is dropped. Then access is read with the installation token.
func (c *Console) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	http.SetCookie(w, c.cookie(loginCookie, "", 0))
	ck, err := r.Cookie(loginCookie)
	state := q.Get("state")
	if err != nil || state == "" || len(state) > 128 || ck.Value != state {
		c.renderError(w, r, nil, &httpError{http.StatusBadRequest, "this login did not start here, or it took too long (state does not match): log in again"})
		return
	}
	pending, err := c.cfg.Store.TakeLogin(r.Context(), hashToken(state), c.now().Add(-loginTTL))
	if errors.Is(err, store.ErrNotFound) {
		c.renderError(w, r, nil, &httpError{http.StatusBadRequest, "this login was already used or has expired: log in again"})
		return
	}
	if err != nil {
		c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable, "cannot finish the login right now"})
		return
	}
	if e := q.Get("error"); e != "" {
		c.renderError(w, r, nil, &httpError{http.StatusForbidden, "GitHub did not authorize the login (" + e + ")"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	user, err := c.githubUser(ctx, q.Get("code"), pending.Verifier)
	if err != nil {
		c.cfg.Logger.Warn().Err(err).Msg("console: GitHub login failed")
		c.renderError(w, r, nil, &httpError{http.StatusBadGateway, "GitHub did not confirm the login: log in again"})
		return
	}
	access, err := c.cfg.Authorizer.Access(ctx, user.GetLogin())
	if err != nil {
		c.cfg.Logger.Error().Err(err).Str("login", user.GetLogin()).Msg("console: read access")
		c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable, "foureyes cannot check your access on GitHub right now; try again in a minute"})
		return
	}
	if access.Role == RoleNone {
		c.cfg.Logger.Info().Str("login", user.GetLogin()).Msg("console: login without access")
		c.renderError(w, r, &session{Session: store.Session{Login: user.GetLogin()}, access: access}, &httpError{http.StatusForbidden, "you have no access"})
		return
	}
	tok, now := randomToken(), c.now()
	raw, _ := json.Marshal(access)
	err = c.cfg.Store.CreateSession(r.Context(), store.Session{TokenHash: hashToken(tok), UserID: user.GetID(), Login: user.GetLogin(),
		CSRF: randomToken(), CreatedAt: now, ExpiresAt: now.Add(c.cfg.SessionTTL), CheckedAt: now, Access: raw})
	if err != nil {
		c.cfg.Logger.Error().Err(err).Msg("console: create session")
		c.renderError(w, r, nil, &httpError{http.StatusServiceUnavailable, "cannot open a session right now"})
		return
	}
	c.cfg.Logger.Info().Str("login", user.GetLogin()).Str("role", access.Role).Msg("console: logged in")
	http.SetCookie(w, c.cookie(sessionCookie, tok, c.cfg.SessionTTL))
	http.Redirect(w, r, safeNext(pending.ReturnTo), http.StatusFound)
}

// githubUser exchanges the code and reads the user. The token goes out of scope here:
// it is never stored or logged.
func (c *Console) githubUser(ctx context.Context, code, verifier string) (*github.User, error) {
	if code == "" {
		return nil, errors.New("no code")
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.cfg.HTTPClient)
	oc := c.oauthConfig()
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("exchange code: %s", re.ErrorCode) // never the body: it may hold a token
		}
		return nil, fmt.Errorf("exchange code: %w", scrub(err))
	}
	gh := github.NewClient(oauth2.NewClient(ctx, oauth2.StaticTokenSource(tok)))
	base, err := url.Parse(strings.TrimSuffix(c.cfg.V3APIURL, "/") + "/")
	if err != nil {
		return nil, err
	}
	gh.BaseURL = base
	u, _, err := gh.Users.Get(ctx, "")
	if err != nil {
		return nil, fmt.Errorf("GET user: %w", err)
	}
	if u.GetLogin() == "" || u.GetID() == 0 {
		return nil, errors.New("GET user: no login")
	}
	return u, nil
}

// scrub drops a url.Error's URL (it could carry a code).
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// logout ends the session (CSRF-checked like every POST).
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	s, err := c.loadSession(r, false)
	if err != nil {
		http.SetCookie(w, c.cookie(sessionCookie, "", 0))
		http.Redirect(w, r, "/console/", http.StatusSeeOther)
		return
	}
	if !c.csrfOK(r, s) {
		c.renderError(w, r, s, &httpError{http.StatusForbidden, "this form did not come from foureyes (CSRF check failed)"})
		return
	}
	if err := c.cfg.Store.DeleteSession(r.Context(), s.TokenHash); err != nil {
		c.renderError(w, r, s, &httpError{http.StatusServiceUnavailable, "cannot end the session right now"})
		return
	}
	http.SetCookie(w, c.cookie(sessionCookie, "", 0))
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.render(w, r, nil, http.StatusOK, "loggedout", nil)
}
