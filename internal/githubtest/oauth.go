package githubtest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// OAuth is the fake's side of a GitHub App's user-to-server login (the web flow, with
// PKCE) and of the people lookups a console needs:
//
//	GET  /login/oauth/authorize          a consent page (or, once the user granted the app,
//	                                     straight back to redirect_uri?code=…&state=…)
//	POST /login/oauth/authorize/confirm  the page's "Authorize" button
//	POST /login/oauth/access_token       code (+ client secret, PKCE verifier) -> ghu_ token
//	GET  /api/v3/user                    the user of a ghu_ token
//	GET  /api/v3/orgs/{org}/memberships/{user}  with an installation token: role admin|member
//
// As on GitHub, errors of the token exchange are 200 answers with an "error" field, a
// code is used once and within ten minutes, and redirect_uri must start with the app's
// callback URL.
type OAuth struct {
	s *Server

	ClientID     string
	ClientSecret string

	mu          sync.Mutex
	callbackURL string
	signedIn    string                       // the browser's GitHub user
	granted     map[string]bool              // users who authorized the app
	codes       map[string]oauthCode         // code -> what it was issued for
	tokens      map[string]string            // ghu_ token -> login
	orgRoles    map[string]map[string]string // org -> login -> admin|member
	exchanges   int
}

type oauthCode struct {
	login, redirectURI, challenge string
	issued                        time.Time
}

var oauthApps sync.Map // *Server -> *OAuth

// EnableOAuth registers the OAuth and people routes on s (once) and returns the OAuth
// app, whose methods steer it. callbackURL is the app's registered callback URL.
func (s *Server) EnableOAuth(callbackURL string) *OAuth {
	o := &OAuth{s: s, ClientID: "Iv1.fakeclient" + manifestRandom(4), ClientSecret: manifestRandom(20), callbackURL: callbackURL,
		granted: map[string]bool{}, codes: map[string]oauthCode{}, tokens: map[string]string{}, orgRoles: map[string]map[string]string{}}
	if got, loaded := oauthApps.LoadOrStore(s, o); loaded {
		o = got.(*OAuth)
		o.mu.Lock()
		o.callbackURL = callbackURL
		o.mu.Unlock()
		return o
	}
	s.HandleFunc("GET /login/oauth/authorize", o.handleAuthorize)
	s.HandleFunc("POST /login/oauth/authorize/confirm", o.handleConfirm)
	s.HandleFunc("POST /login/oauth/access_token", o.handleAccessToken)
	s.HandleFunc("GET "+apiPrefix+"/user", o.handleUser)
	s.HandleFunc("GET "+apiPrefix+"/orgs/{org}/memberships/{user}", o.handleOrgMembership)
	return o
}

// SignIn makes login the GitHub user of the browser (and of Authorize).
func (o *OAuth) SignIn(login string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.signedIn = login
}

// Grant records that login already authorized the app: authorize redirects at once.
func (o *OAuth) Grant(login string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.granted[strings.ToLower(login)] = true
}

// Revoke withdraws login's authorization: its tokens stop working and the consent page
// shows again. (The test sends the github_app_authorization webhook itself.)
func (o *OAuth) Revoke(login string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.granted, strings.ToLower(login))
	for tok, l := range o.tokens {
		if strings.EqualFold(l, login) {
			delete(o.tokens, tok)
		}
	}
}

// SetOrgRole makes login a member (role "member") or owner ("admin") of org; "" removes.
func (o *OAuth) SetOrgRole(org, login, role string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	org = strings.ToLower(org)
	if o.orgRoles[org] == nil {
		o.orgRoles[org] = map[string]string{}
	}
	if role == "" {
		delete(o.orgRoles[org], strings.ToLower(login))
		return
	}
	o.orgRoles[org][strings.ToLower(login)] = role
}

// Exchanges counts successful code exchanges.
func (o *OAuth) Exchanges() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.exchanges
}

// UserID is the id the fake gives login (GET /user, webhooks' sender.id).
func UserID(login string) int64 { return userID(login) }

func (o *OAuth) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	o.mu.Lock()
	user, cb := o.signedIn, o.callbackURL
	granted := o.granted[strings.ToLower(user)]
	o.mu.Unlock()
	switch {
	case q.Get("client_id") != o.ClientID:
		http.Error(w, "404: no app with this client_id", http.StatusNotFound)
		return
	case cb == "" || !strings.HasPrefix(q.Get("redirect_uri"), cb):
		http.Error(w, "The redirect_uri is not associated with this application.", http.StatusBadRequest)
		return
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		http.Error(w, "code_challenge_method must be S256", http.StatusBadRequest)
		return
	case user == "":
		http.Error(w, "sign in to GitHub first", http.StatusUnauthorized)
		return
	}
	if granted {
		http.Redirect(w, r, o.issue(user, q), http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><meta name="viewport" content="width=device-width"><title>Authorize foureyes</title></head>
<body><h1>Authorize foureyes</h1><p>Signed in as <b id="user">%s</b>. foureyes will know your login.</p>
<form method="post" action="/login/oauth/authorize/confirm"><input type="hidden" name="q" value="%s">
<button id="authorize" type="submit">Authorize foureyes</button></form></body></html>`, html.EscapeString(user), html.EscapeString(r.URL.RawQuery))
}

func (o *OAuth) handleConfirm(w http.ResponseWriter, r *http.Request) {
	q, err := url.ParseQuery(r.FormValue("q"))
	o.mu.Lock()
	user := o.signedIn
	if user != "" {
		o.granted[strings.ToLower(user)] = true
	}
	o.mu.Unlock()
	if err != nil || user == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, o.issue(user, q), http.StatusFound)
}

// issue makes a code for user and returns redirect_uri with code and state.
func (o *OAuth) issue(user string, q url.Values) string {
	code := manifestRandom(20)
	o.mu.Lock()
	o.codes[code] = oauthCode{login: user, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), issued: time.Now()}
	o.mu.Unlock()
	u, _ := url.Parse(q.Get("redirect_uri"))
	v := u.Query()
	v.Set("code", code)
	if st := q.Get("state"); st != "" {
		v.Set("state", st)
	}
	u.RawQuery = v.Encode()
	return u.String()
}

func (o *OAuth) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusOK, map[string]string{"error": "bad_request"})
		return
	}
	fail := func(code, desc string) {
		writeJSON(w, http.StatusOK, map[string]string{"error": code, "error_description": desc,
			"error_uri": "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"})
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok {
		id, secret = u, p
	}
	if id != o.ClientID || secret != o.ClientSecret {
		fail("incorrect_client_credentials", "The client_id and/or client_secret passed are incorrect.")
		return
	}
	o.mu.Lock()
	c, ok := o.codes[r.PostForm.Get("code")]
	delete(o.codes, r.PostForm.Get("code"))
	o.mu.Unlock()
	switch {
	case !ok || time.Since(c.issued) > 10*time.Minute:
		fail("bad_verification_code", "The code passed is incorrect or expired.")
		return
	case r.PostForm.Get("redirect_uri") != "" && r.PostForm.Get("redirect_uri") != c.redirectURI:
		fail("redirect_uri_mismatch", "The redirect_uri MUST match the registered callback URL for this application.")
		return
	case c.challenge != "":
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if base64.RawURLEncoding.EncodeToString(sum[:]) != c.challenge {
			fail("bad_verification_code", "The code_verifier does not match the code_challenge.")
			return
		}
	}
	tok := "ghu_" + manifestRandom(18)
	o.mu.Lock()
	o.tokens[tok] = c.login
	o.exchanges++
	o.mu.Unlock()
	resp := map[string]any{"access_token": tok, "token_type": "bearer", "scope": "", "expires_in": 28800,
		"refresh_token": "ghr_" + manifestRandom(18), "refresh_token_expires_in": 15897600}
	if !strings.Contains(r.Header.Get("Accept"), "json") {
		v := url.Values{}
		for k, val := range resp {
			v.Set(k, fmt.Sprint(val))
		}
		w.Header().Set("Content-Type", "application/x-www-form-urlencoded")
		_, _ = w.Write([]byte(v.Encode()))
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

func (o *OAuth) handleUser(w http.ResponseWriter, r *http.Request) {
	_, cred := authorization(r)
	o.mu.Lock()
	login, ok := o.tokens[cred]
	o.mu.Unlock()
	if !ok {
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return
	}
	writeJSON(w, http.StatusOK, userJSON(login))
}

func (o *OAuth) handleOrgMembership(w http.ResponseWriter, r *http.Request) {
	org, user := r.PathValue("org"), r.PathValue("user")
	if InstallationFromRequest(r) == 0 {
		writeError(w, http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	o.mu.Lock()
	role := o.orgRoles[strings.ToLower(org)][strings.ToLower(user)]
	o.mu.Unlock()
	if role == "" {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url": o.s.APIURL + "orgs/" + org + "/memberships/" + user, "state": "active", "role": role,
		"organization": map[string]any{"login": org, "id": userID(org)}, "user": userJSON(user),
	})
}
