// Package e2etest starts the real foureyes server on a random port, backed by a real
// store and the fake GitHub of internal/githubtest, and drives it with signed webhooks
// over HTTP. The end-to-end tests of several packages share it.
package e2etest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/server"
	"github.com/foureyes/foureyes/internal/store"
)

// Installation and Repo are the defaults every harness creates.
const (
	Installation = int64(4242)
	Owner        = "acme"
	RepoName     = "payments"
	Secret       = "e2e-webhook-secret"
)

// Harness is one running foureyes with its fake GitHub.
type Harness struct {
	T      testing.TB
	GH     *githubtest.Server
	Repo   *githubtest.Repo
	Store  store.Store
	Server *server.Server
	Sender *githubtest.Sender
	Config config.Config
	// OAuth is the fake's OAuth app (the console's login), registered with the
	// console's callback URL; Config carries its client id and secret.
	OAuth *githubtest.OAuth
	DSN   string
	Logs  *strings.Builder
}

// Option changes the configuration before the server starts.
type Option func(*config.Config)

// WithCoalesceWindow sets the coalescing window (tests default to 150ms).
func WithCoalesceWindow(d time.Duration) Option {
	return func(c *config.Config) { c.CoalesceWindow = config.Duration(d) }
}

// WithDSN points the store at dsn instead of a fresh SQLite file.
func WithDSN(dsn string) Option {
	return func(c *config.Config) { c.Store.DSN, c.Store.Driver = dsn, store.DriverOf(dsn) }
}

// WithConfig applies any change.
func WithConfig(f func(*config.Config)) Option { return Option(f) }

// Start builds the fake GitHub and starts foureyes against it.
func Start(t testing.TB, opts ...Option) *Harness {
	t.Helper()
	gh := githubtest.New(t)
	gh.AddInstallation(Installation, Owner)
	repo := gh.AddRepo(Owner+"/"+RepoName, Installation)
	h := &Harness{T: t, GH: gh, Repo: repo}
	h.Config = h.baseConfig(t)
	h.OAuth = gh.EnableOAuth(h.Config.Server.PublicURL + "/console/auth/callback")
	h.Config.GitHub.App.ClientID, h.Config.GitHub.App.ClientSecret = h.OAuth.ClientID, h.OAuth.ClientSecret
	for _, o := range opts {
		o(&h.Config)
	}
	h.DSN = h.Config.Store.DSN
	h.start()
	return h
}

func (h *Harness) baseConfig(t testing.TB) config.Config {
	dir := t.TempDir()
	env := []string{
		"FOUREYES_STORE_DSN=" + filepath.Join(dir, "foureyes.db"),
		"FOUREYES_GITHUB_WEB_URL=" + h.GH.URL,
		"FOUREYES_GITHUB_V3_API_URL=" + h.GH.APIURL,
		"FOUREYES_GITHUB_V4_API_URL=" + h.GH.GraphQLURL,
		fmt.Sprintf("FOUREYES_GITHUB_APP_INTEGRATION_ID=%d", h.GH.AppID),
		"FOUREYES_GITHUB_APP_WEBHOOK_SECRET=" + Secret,
		"FOUREYES_GITHUB_APP_PRIVATE_KEY=" + string(h.GH.PrivateKeyPEM),
		"FOUREYES_GITHUB_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials.yml"),
		"FOUREYES_COALESCE_WINDOW=150ms",
		"FOUREYES_RETRY_BASE_DELAY=20ms",
		"FOUREYES_RETRY_MAX_DELAY=200ms",
		"FOUREYES_RECOVERY_DISABLED=true",
		"FOUREYES_HEALTH_DISABLED=true",
		"FOUREYES_LOG_LEVEL=debug",
	}
	cfg, err := config.Load("", env)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	// A free port known before start, so public_url (the setup page's redirect, the
	// manifest's hook URL) names the real address.
	cfg.Server.Port = freePort(t)
	cfg.Server.PublicURL = fmt.Sprintf("http://127.0.0.1:%d", cfg.Server.Port)
	return cfg
}

func (h *Harness) start() {
	t := h.T
	t.Helper()
	st, err := store.Open(context.Background(), h.DSN)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	h.Store = st
	h.Logs = &strings.Builder{}
	logger := zerolog.New(io.MultiWriter(syncWriter{h.Logs}, testWriter{t})).With().Timestamp().Logger()
	srv, err := server.New(h.Config, st, logger)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("start: %v", err)
	}
	h.Server = srv
	h.Sender = githubtest.NewSender("http://"+srv.Addr()+"/api/github/hook", Secret)
	t.Cleanup(h.stop)
}

func (h *Harness) stop() {
	if h.Server == nil {
		return
	}
	// Generous for a loaded CI machine: a graceful stop ends as soon as its work does.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_ = h.Server.Shutdown(ctx)
	_ = h.Store.Close()
	h.Server = nil
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// Restart stops the server gracefully and starts it again on the same store.
func (h *Harness) Restart() {
	h.stop()
	h.start()
}

// Stop stops the server (gracefully) without starting it again.
func (h *Harness) Stop() { h.stop() }

// StartAgain starts a stopped server on the same store.
func (h *Harness) StartAgain() { h.start() }

// URL is the server's base URL.
func (h *Harness) URL() string { return "http://" + h.Server.Addr() }

// Send delivers a signed webhook and fails the test unless it was accepted (2xx).
func (h *Harness) Send(event string, payload any) string {
	h.T.Helper()
	id := githubtest.NewGUID()
	h.SendID(event, id, payload)
	return id
}

// SendID delivers a signed webhook with a given delivery id.
func (h *Harness) SendID(event, id string, payload any) *http.Response {
	h.T.Helper()
	resp, err := h.Sender.SendDelivery(event, id, payload)
	if err != nil {
		h.T.Fatalf("send %s: %v", event, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		h.T.Fatalf("send %s: status %d", event, resp.StatusCode)
	}
	return resp
}

// WaitIdle waits until the inbox is empty (every delivery settled).
func (h *Harness) WaitIdle() {
	h.T.Helper()
	Eventually(h.T, EventuallyTimeout, "inbox drained", func() bool {
		n, err := h.Store.Depth(context.Background())
		return err == nil && n == 0
	})
}

// CheckRun waits until foureyes' check run on sha satisfies ok and returns it.
func (h *Harness) CheckRun(sha string, ok func(githubtest.CheckRun) bool) githubtest.CheckRun {
	h.T.Helper()
	var found githubtest.CheckRun
	Eventually(h.T, EventuallyTimeout, "check run on "+sha, func() bool {
		for _, c := range h.GH.OwnCheckRuns(Owner + "/" + RepoName) {
			if c.HeadSHA == sha && c.Name == h.Config.Policy.CheckName && ok(c) {
				found = c
				return true
			}
		}
		return false
	})
	return found
}

// Concluded matches a completed run with the given conclusion.
func Concluded(conclusion string) func(githubtest.CheckRun) bool {
	return func(c githubtest.CheckRun) bool { return c.Status == "completed" && c.Conclusion == conclusion }
}

// InProgress matches a run still waiting.
func InProgress(c githubtest.CheckRun) bool { return c.Status == "in_progress" }

// EventuallyTimeout bounds the harness's own waits (WaitIdle, CheckRun): generous, because
// CI runs on a small, loaded machine; a condition that never holds still fails the test.
const EventuallyTimeout = 60 * time.Second

// Eventually polls cond every 20ms until it holds or the timeout ends the test.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testWriter sends server logs to the test log (shown on failure or with -v).
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	if os.Getenv("FOUREYES_E2E_LOGS") != "" {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}
