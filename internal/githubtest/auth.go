package githubtest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	jwt "github.com/golang-jwt/jwt/v4"
)

// tokenLifetime is how long an installation token is valid, as on GitHub.
const tokenLifetime = time.Hour

type issuedToken struct {
	installation int64
	expires      time.Time
	repoIDs      map[int64]bool // nil: every repo of the installation
}

func generateKey() (*rsa.PrivateKey, []byte, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	return key, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), nil
}

func withInstallation(ctx context.Context, id int64) context.Context {
	return context.WithValue(ctx, installationKey, id)
}

// InstallationFromRequest returns the installation a request handled by the fake was
// authenticated as (0 for the app JWT or no authentication). For handlers added with HandleFunc.
func InstallationFromRequest(r *http.Request) int64 {
	id, _ := r.Context().Value(installationKey).(int64)
	return id
}

// AppJWT signs an app JWT with the server's key, as ghinstallation does (for raw tests).
func (s *Server) AppJWT() string {
	now := time.Now()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.RegisteredClaims{
		IssuedAt:  jwt.NewNumericDate(now.Add(-30 * time.Second)),
		ExpiresAt: jwt.NewNumericDate(now.Add(9 * time.Minute)),
		Issuer:    strconv.FormatInt(s.AppID, 10),
	})
	ss, err := tok.SignedString(s.key)
	if err != nil {
		panic("githubtest: sign app JWT: " + err.Error())
	}
	return ss
}

// InstallationToken issues an installation token directly (for raw HTTP tests); it
// panics if the installation does not exist.
func (s *Server) InstallationToken(installationID int64) string {
	tok, _, err := s.issueToken(installationID, nil)
	if err != nil {
		panic("githubtest: " + err.Error())
	}
	return tok
}

func (s *Server) issueToken(installationID int64, repoIDs map[int64]bool) (string, time.Time, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", time.Time{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.installations[installationID] == nil {
		return "", time.Time{}, fmt.Errorf("installation %d does not exist", installationID)
	}
	tok := "ghs_" + hex.EncodeToString(b)
	exp := time.Now().Add(tokenLifetime).UTC().Truncate(time.Second)
	s.tokens[tok] = issuedToken{installation: installationID, expires: exp, repoIDs: repoIDs}
	return tok, exp, nil
}

// ExpireTokens makes every installation token issued so far invalid (401), as if expired.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tokens {
		t.expires = time.Now().Add(-time.Second)
		s.tokens[k] = t
	}
}

// verifyJWT checks an app JWT: RS256, signed by the app key, iss = app id, not expired.
func (s *Server) verifyJWT(raw string) error {
	tok, err := jwt.ParseWithClaims(raw, &jwt.RegisteredClaims{}, func(t *jwt.Token) (any, error) {
		if t.Method.Alg() != jwt.SigningMethodRS256.Alg() {
			return nil, fmt.Errorf("unexpected signing method %s", t.Method.Alg())
		}
		return &s.key.PublicKey, nil
	})
	if err != nil {
		return err
	}
	claims := tok.Claims.(*jwt.RegisteredClaims)
	if claims.Issuer != strconv.FormatInt(s.AppID, 10) {
		return fmt.Errorf("iss %q is not app %d", claims.Issuer, s.AppID)
	}
	if claims.ExpiresAt == nil || claims.IssuedAt == nil {
		return fmt.Errorf("exp and iat are required")
	}
	if claims.ExpiresAt.Sub(claims.IssuedAt.Time) > 11*time.Minute {
		return fmt.Errorf("'Expiration time' claim ('exp') is too far in the future")
	}
	return nil
}

func authorization(r *http.Request) (scheme, cred string) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ = strings.Cut(h, " ")
	return strings.ToLower(scheme), strings.TrimSpace(cred)
}

// peekInstallation returns the installation of a valid token on r, or 0.
func (s *Server) peekInstallation(r *http.Request) int64 {
	if scheme, _ := authorization(r); scheme != "token" && scheme != "bearer" {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peekInstallationLocked(r)
}

func (s *Server) peekInstallationLocked(r *http.Request) int64 {
	_, cred := authorization(r)
	if t, ok := s.tokens[cred]; ok && time.Now().Before(t.expires) {
		return t.installation
	}
	return 0
}

// authenticate enforces GitHub's authentication for apiPath. It writes the error answer
// and returns ok=false when the request must not be served.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, apiPath string) (int64, bool) {
	scheme, cred := authorization(r)
	switch {
	case strings.HasPrefix(apiPath, "/app-manifests/"), apiPath == "/meta", apiPath == "/rate_limit" && cred == "",
		apiPath == "/user": // a user token (oauth.go checks it), not an installation's
		return 0, true
	case apiPath == "/app" || strings.HasPrefix(apiPath, "/app/") || isInstallationLookup(apiPath):
		if scheme != "bearer" || strings.Count(cred, ".") != 2 {
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return 0, false
		}
		if err := s.verifyJWT(cred); err != nil {
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded: "+err.Error())
			return 0, false
		}
		return 0, true
	}
	if scheme != "token" && scheme != "bearer" || cred == "" {
		writeError(w, http.StatusUnauthorized, "Requires authentication")
		return 0, false
	}
	s.mu.Lock()
	t, ok := s.tokens[cred]
	s.mu.Unlock()
	if !ok || !time.Now().Before(t.expires) {
		writeError(w, http.StatusUnauthorized, "Bad credentials")
		return 0, false
	}
	// Repository routes: the installation must own the repository (404 otherwise, as GitHub
	// hides repositories a token cannot see). Org routes: the installation's account.
	parts := strings.Split(strings.Trim(apiPath, "/"), "/")
	if len(parts) >= 3 && parts[0] == "repos" {
		repo := s.Repo(parts[1] + "/" + parts[2])
		if repo == nil || !s.tokenSeesRepo(t, repo) {
			writeError(w, http.StatusNotFound, "Not Found")
			return t.installation, false
		}
	}
	if len(parts) >= 2 && parts[0] == "orgs" {
		s.mu.Lock()
		inst := s.installations[t.installation]
		s.mu.Unlock()
		if inst == nil || !strings.EqualFold(inst.account, parts[1]) {
			writeError(w, http.StatusNotFound, "Not Found")
			return t.installation, false
		}
	}
	return t.installation, true
}

func (s *Server) tokenSeesRepo(t issuedToken, repo *Repo) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if repo.InstallationID != t.installation {
		return false
	}
	return t.repoIDs == nil || t.repoIDs[repo.ID]
}

// isInstallationLookup reports the JWT-authenticated installation lookups outside /app.
func isInstallationLookup(apiPath string) bool {
	parts := strings.Split(strings.Trim(apiPath, "/"), "/")
	switch {
	case len(parts) == 4 && parts[0] == "repos" && parts[3] == "installation":
		return true
	case len(parts) == 3 && (parts[0] == "orgs" || parts[0] == "users") && parts[2] == "installation":
		return true
	}
	return false
}

// --- app routes ---

func (s *Server) handleAccessToken(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var req struct {
		Repositories  []string          `json:"repositories"`
		RepositoryIDs []int64           `json:"repository_ids"`
		Permissions   map[string]string `json:"permissions"`
	}
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil && err.Error() != "EOF" {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	s.mu.Lock()
	inst := s.installations[id]
	s.mu.Unlock()
	if inst == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var repoIDs map[int64]bool
	if len(req.Repositories) > 0 || len(req.RepositoryIDs) > 0 {
		repoIDs = map[int64]bool{}
		for _, rid := range req.RepositoryIDs {
			repoIDs[rid] = true
		}
		for _, name := range req.Repositories {
			if repo := s.Repo(inst.account + "/" + name); repo != nil {
				repoIDs[repo.ID] = true
			}
		}
	}
	tok, exp, err := s.issueToken(id, repoIDs)
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	perms := req.Permissions
	if len(perms) == 0 {
		perms = defaultPermissions()
	}
	answer := map[string]any{
		"token":                tok,
		"expires_at":           exp.Format(time.RFC3339),
		"permissions":          perms,
		"repository_selection": s.selectionOf(id),
	}
	s.mu.Lock()
	if s.tokenSelectionOmitted {
		delete(answer, "repository_selection")
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, answer)
}

func (s *Server) handleApp(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"id": s.AppID, "slug": s.AppSlug, "node_id": nodeID("App", s.AppID), "name": s.AppSlug,
		"owner": userJSON("foureyes"), "description": "", "external_url": s.URL, "html_url": s.URL + "/apps/" + s.AppSlug,
		"created_at": ts(baseTime), "updated_at": ts(baseTime), "permissions": defaultPermissions(),
		"events": []string{"pull_request", "pull_request_review", "check_run", "check_suite", "status", "push", "merge_group", "deployment_protection_rule"},
	})
}

func (s *Server) handleListInstallations(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	var list []any
	for _, id := range sortedKeys(s.installations) {
		list = append(list, s.installationJSON(s.installations[id]))
	}
	s.mu.Unlock()
	paginate(w, r, list)
}

func (s *Server) handleGetInstallation(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst := s.installations[id]; inst != nil {
		writeJSON(w, http.StatusOK, s.installationJSON(inst))
		return
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func (s *Server) handleRepoInstallation(w http.ResponseWriter, r *http.Request) {
	repo := s.Repo(r.PathValue("owner") + "/" + r.PathValue("repo"))
	s.mu.Lock()
	defer s.mu.Unlock()
	if repo != nil {
		if inst := s.installations[repo.InstallationID]; inst != nil {
			writeJSON(w, http.StatusOK, s.installationJSON(inst))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

func (s *Server) handleOwnerInstallation(w http.ResponseWriter, r *http.Request) {
	owner := r.PathValue("owner")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range sortedKeys(s.installations) {
		if inst := s.installations[id]; strings.EqualFold(inst.account, owner) {
			writeJSON(w, http.StatusOK, s.installationJSON(inst))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// handleInstallationRepos answers GET /installation/repositories for the token's installation.
func (s *Server) handleInstallationRepos(w http.ResponseWriter, r *http.Request) {
	inst := InstallationFromRequest(r)
	s.mu.Lock()
	var list []any
	for _, key := range sortedKeys(s.repos) {
		if repo := s.repos[key]; repo.InstallationID == inst {
			list = append(list, repoJSONLocked(repo))
		}
	}
	s.mu.Unlock()
	start, end := pageBounds(w, r, len(list))
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(list), "repositories": list[start:end], "repository_selection": s.selectionOf(inst)})
}

// call with s.mu held
func (s *Server) installationJSON(inst *installation) map[string]any {
	typ := "Organization"
	return map[string]any{
		"id": inst.id, "node_id": nodeID("Installation", inst.id),
		"account": map[string]any{"login": inst.account, "id": userID(inst.account), "node_id": nodeID("Organization", userID(inst.account)), "type": typ},
		"app_id":  s.AppID, "app_slug": s.AppSlug, "target_id": userID(inst.account), "target_type": typ,
		"repository_selection": selectionName(inst.selection),
		"access_tokens_url":    fmt.Sprintf("%sapp/installations/%d/access_tokens", s.APIURL, inst.id),
		"repositories_url":     s.APIURL + "installation/repositories",
		"html_url":             fmt.Sprintf("%s/organizations/%s/settings/installations/%d", s.URL, inst.account, inst.id),
		"permissions":          defaultPermissions(), "events": []string{"pull_request", "pull_request_review", "check_run", "push"},
		"created_at": ts(baseTime), "updated_at": ts(baseTime),
	}
}

func defaultPermissions() map[string]string {
	return map[string]string{
		"metadata": "read", "pull_requests": "read", "checks": "write", "statuses": "write",
		"contents": "read", "deployments": "write", "actions": "read", "members": "read", "merge_queues": "read",
	}
}
