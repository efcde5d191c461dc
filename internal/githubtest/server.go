// Package githubtest is a fake GitHub (REST API under /api/v3, GraphQL stub, web pages) served
// over real HTTP by httptest.Server, answering the real go-github v60 client with real app
// authentication, and a sender of signed webhooks. See CONTRACT.md.
package githubtest

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const apiPrefix = "/api/v3"

// Server is a fake GitHub Enterprise Server. Create it with New.
type Server struct {
	URL           string // web URL, "http://127.0.0.1:PORT"
	APIURL        string // URL + "/api/v3/"
	GraphQLURL    string // URL + "/api/graphql"
	AppID         int64
	AppSlug       string
	PrivateKeyPEM []byte

	srv *httptest.Server
	mux *http.ServeMux
	key *rsa.PrivateKey

	mu                sync.Mutex
	installations     map[int64]*installation
	repos             map[string]*Repo // lower-case full name
	teams             map[string]map[string]bool
	profiles          map[string]UserProfile // lower-case login; see users.go
	tokens            map[string]issuedToken
	requests          []Request
	graphqlOff        bool // DisableGraphQL: answer 501 like a server without GraphQL
	graphqlOld        bool // OlderGraphQLSchema: every query fails validation
	checkWrites       map[string][]CheckRunWrite
	deploymentReviews []DeploymentReview
	failures          []*failure
	randomFailure     *randomFailure // FailRandomly
	latency           time.Duration
	holds             []*hold
	used              map[int64]int // rate-limit points used per installation (0 = app/unauthenticated)
	rateLimit         int
	resetAt           time.Time
	nextID            int64
	contentCommits    map[string]int // PUT contents commits by repo/path
	nextRepoID        int64
	// tokenSelectionOmitted: token answers lack repository_selection (OmitTokenSelection).
	tokenSelectionOmitted bool
}

// New starts a fake GitHub on 127.0.0.1; t.Cleanup closes it.
func New(t testing.TB) *Server {
	t.Helper()
	key, pemBytes, err := generateKey()
	if err != nil {
		t.Fatalf("githubtest: generate app key: %v", err)
	}
	s := newServer(key, pemBytes)
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	s.APIURL = s.URL + apiPrefix + "/"
	s.GraphQLURL = s.URL + "/api/graphql"
	t.Cleanup(s.srv.Close)
	return s
}

// newServer returns a server's state and routes, not listening yet.
func newServer(key *rsa.PrivateKey, pemBytes []byte) *Server {
	s := &Server{
		AppID: 1001, AppSlug: "foureyes", PrivateKeyPEM: pemBytes, key: key,
		mux:           http.NewServeMux(),
		installations: map[int64]*installation{}, repos: map[string]*Repo{},
		teams: map[string]map[string]bool{}, tokens: map[string]issuedToken{},
		checkWrites: map[string][]CheckRunWrite{}, used: map[int64]int{},
		rateLimit: 5000, resetAt: time.Now().Add(time.Hour).Truncate(time.Second),
		nextID: 100000, nextRepoID: 5000,
	}
	s.routes()
	return s
}

// Close stops the server (also done by t.Cleanup).
func (s *Server) Close() { s.srv.Close() }

// Client returns an http.Client for the server (plain, no authentication).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// HandleFunc registers h for a Go 1.22 ServeMux pattern such as
// "POST /api/v3/app/hook/deliveries/{id}/attempts". Routes under /api/v3 go through the same
// recording, latency, error injection, authentication, rate-limit and ETag handling as the
// built-in ones: /api/v3/app/* needs the app JWT, /api/v3/app-manifests/* is unauthenticated.
// Routes outside /api (web pages such as "POST /settings/apps/new") are served as they are.
func (s *Server) HandleFunc(pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
}

// SetLatency makes every API answer wait d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetRateLimit changes the x-ratelimit-limit of every installation (default 5000).
// The fake reports usage but never refuses a request for it, and x-ratelimit-remaining
// never reaches 0 on its own (a 0 would make go-github refuse requests locally); use Fail
// with "x-ratelimit-remaining": "0" to simulate an exhausted limit.
func (s *Server) SetRateLimit(limit int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = limit
}

// SetRateLimitReset changes the x-ratelimit-reset every answer reports (default an hour
// after the fake started).
func (s *Server) SetRateLimitReset(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetAt = at
}

// Requests returns every API request answered so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// RateLimitedRequests counts the API requests that were not answered 304.
func (s *Server) RateLimitedRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.requests {
		if !r.NotModified {
			n++
		}
	}
	return n
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

type ctxKey int

const installationKey ctxKey = 1

// serveHTTP is the front door: web pages, GraphQL and the REST API.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/graphql" || strings.HasPrefix(r.URL.Path, "/api/graphql/"):
		s.serveAPI(w, r, "/graphql")
	case r.URL.Path == apiPrefix || strings.HasPrefix(r.URL.Path, apiPrefix+"/"):
		s.serveAPI(w, r, strings.TrimPrefix(r.URL.Path, apiPrefix))
	default:
		s.serveWeb(w, r)
	}
}

// bufferedWriter captures a handler's answer so that ETags and conditional requests can be applied.
type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }
func (b *bufferedWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, apiPath string) {
	rec := Request{
		Method: r.Method, Path: apiPath, Query: r.URL.RawQuery,
		Conditional: r.Header.Get("If-None-Match") != "", At: time.Now(),
	}
	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
		}
	}
	s.waitHolds(r, apiPath)

	// Read the body up front for the deployment callback so failed attempts are recorded too.
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}

	bw := &bufferedWriter{header: http.Header{}}
	inst := s.serveAPIInner(bw, r, apiPath)
	rec.Installation = inst
	if bw.status == 0 {
		bw.status = http.StatusOK
	}

	// ETag and conditional GET.
	if r.Method == http.MethodGet && bw.status == http.StatusOK {
		sum := sha1.Sum(bw.body.Bytes())
		etag := `W/"` + hex.EncodeToString(sum[:]) + `"`
		bw.header.Set("ETag", etag)
		bw.header.Set("Cache-Control", "private, max-age=60, s-maxage=60")
		bw.header.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP")
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			bw.status = http.StatusNotModified
			bw.body.Reset()
			rec.NotModified = true
		}
	}
	rec.Status = bw.status

	if isDeploymentCallback(r.Method, apiPath) {
		s.recordDeploymentReview(r, apiPath, body, bw.status, inst)
	}

	rec.Answered = time.Now()
	s.mu.Lock()
	if !rec.NotModified {
		s.used[inst]++
	}
	used := s.used[inst]
	limit := s.rateLimit
	reset := s.resetAt
	s.requests = append(s.requests, rec)
	reqNo := len(s.requests)
	s.mu.Unlock()

	h := w.Header()
	remaining := limit - used
	if remaining < 1 {
		remaining = 1
	}
	resource := "core"
	if apiPath == "/graphql" {
		resource = "graphql"
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Used", strconv.Itoa(used))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset.Unix(), 10))
	h.Set("X-RateLimit-Resource", resource)
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Request-Id", fmt.Sprintf("FAKE:%d", reqNo))
	for k, v := range bw.header {
		h[k] = v
	}
	if bw.status != http.StatusNotModified && bw.status != http.StatusNoContent && h.Get("Content-Type") == "" && bw.body.Len() > 0 {
		h.Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(bw.status)
	if bw.status != http.StatusNotModified {
		_, _ = w.Write(bw.body.Bytes())
	}
}

// serveAPIInner applies error injection and authentication, then routes. It returns the
// installation the request was authenticated as (0 if none).
func (s *Server) serveAPIInner(w http.ResponseWriter, r *http.Request, apiPath string) int64 {
	if f := s.takeFailure(r.Method, apiPath); f != nil {
		writeFailure(w, f)
		return s.peekInstallation(r)
	}
	inst, ok := s.authenticate(w, r, apiPath)
	if !ok {
		return inst
	}
	if apiPath == "/graphql" {
		s.serveGraphQL(w, r, inst)
		return inst
	}
	if _, pattern := s.mux.Handler(r); pattern == "" {
		// Unknown route, or a known path with another method.
		writeError(w, http.StatusNotFound, "Not Found")
		return inst
	}
	// ServeHTTP (not the handler from mux.Handler) so that r.PathValue works.
	s.mux.ServeHTTP(w, r.WithContext(withInstallation(r.Context(), inst)))
	return inst
}

func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, v := range strings.Split(header, ",") {
		if strings.TrimSpace(v) == "*" || strip(v) == strip(etag) {
			return true
		}
	}
	return false
}

// serveWeb answers web pages (WebURL): a home page and PR pages; everything else 404.
// Web routes registered with HandleFunc (for example the manifest flow) come first.
func (s *Server) serveWeb(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case r.URL.Path == "/":
		fmt.Fprintf(w, "<!doctype html><title>GitHub (githubtest)</title><h1>githubtest</h1><p>App %s (%d)</p>", s.AppSlug, s.AppID)
		return
	case len(parts) == 4 && parts[2] == "pull":
		if repo := s.Repo(parts[0] + "/" + parts[1]); repo != nil {
			if n, err := strconv.Atoi(parts[3]); err == nil {
				if p := repo.PR(n); p.Number != 0 {
					fmt.Fprintf(w, "<!doctype html><title>%s #%d</title><h1>%s</h1>", htmlEscape(p.Title), n, htmlEscape(p.Title))
					return
				}
			}
		}
	}
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprint(w, "<!doctype html><title>Page not found</title><h1>404</h1>")
}

func htmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
