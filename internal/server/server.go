// Package server is foureyes' composition root: configuration in, a running HTTP server
// out. It wires the webhook route (go-githubapp's dispatcher over a durable inbox), the
// workers and coalescer, the evaluator, health and metrics, the first-run setup pages and
// the recovery loops, and shuts all of it down gracefully.
package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	foureyes "github.com/foureyes/foureyes"
	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/console"
	"github.com/foureyes/foureyes/internal/metrics"
	"github.com/foureyes/foureyes/internal/setup"
	"github.com/foureyes/foureyes/internal/store"
)

// Server is one running foureyes.
type Server struct {
	cfg     config.Config
	store   store.Store
	metrics *metrics.Metrics
	logger  zerolog.Logger
	now     func() time.Time

	listener   net.Listener
	http       *http.Server
	app        atomic.Pointer[http.Handler]    // the webhook route: the app, or 503 in setup mode
	setup      http.Handler                    // first-run pages, nil when started registered
	setupToken string                          // proves the setup page's visitor can read the log
	console    atomic.Pointer[console.Console] // the compliance console, once registered

	signKey ed25519.PrivateKey // signs the audit chain and its checkpoints
	bg      sync.WaitGroup     // the checkpointer, stopped by Shutdown
	tickets *ticketSystems     // Jira/ServiceNow reads, their webhooks, the Watcher

	mu      sync.Mutex
	running *app // set once credentials exist
	ctx     context.Context
	cancel  context.CancelFunc
}

// New checks the configuration, opens the store and prepares the routes. Without GitHub
// credentials the server starts in setup mode: it serves the page that registers the app.
func New(cfg config.Config, st store.Store, logger zerolog.Logger) (*Server, error) {
	if err := loadCredentialsFile(&cfg); err != nil {
		return nil, err
	}
	if cfg.GitHub.CredentialsFile != "" {
		if _, err := os.Stat(cfg.GitHub.CredentialsFile); err == nil {
			setup.WarnIfCommittable(logger, cfg.GitHub.CredentialsFile)
		}
	}
	if cfg.HasCredentials() {
		if err := checkCredentials(&cfg); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, store: st, metrics: metrics.New(), logger: logger, now: time.Now}
	if err := s.loadSigningKey(); err != nil {
		return nil, err
	}
	ts, err := newTicketSystems(cfg.Tickets, st, s.metrics.Registry, logger, s.now)
	if err != nil {
		return nil, err
	}
	s.tickets = ts
	if !cfg.HasCredentials() {
		// Whoever opens the setup page first would choose which GitHub App this server
		// trusts: the page only works with the token printed in the server's log.
		s.setupToken = rand.Text()
		h, err := setup.NewHandler(setup.Config{
			PublicURL: cfg.Server.PublicURL, WebURL: cfg.GitHub.WebURL, V3APIURL: cfg.GitHub.V3APIURL,
			CredentialsFile: cfg.GitHub.CredentialsFile, Manifest: foureyes.AppManifest, Logger: logger,
			SetupToken: s.setupToken,
		}, s.registered)
		if err != nil {
			return nil, fmt.Errorf("setup pages: %w", err)
		}
		s.setup = h
	}
	return s, nil
}

// Start listens and serves until Shutdown. It returns once the listener is open.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(s.cfg.Server.Address, strconv.Itoa(s.cfg.Server.Port)))
	if err != nil {
		return fmt.Errorf("listen on %s:%d: %w", s.cfg.Server.Address, s.cfg.Server.Port, err)
	}
	s.listener = ln
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	notYet := http.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "foureyes is not registered with GitHub yet: open "+s.cfg.Server.PublicURL+"/setup", http.StatusServiceUnavailable)
	}))
	s.app.Store(&notYet)
	if s.cfg.HasCredentials() {
		if err := s.startApp(); err != nil {
			_ = ln.Close()
			return err
		}
	}
	s.startCheckpointer()
	s.http = newHTTPServer(s.routes())
	go func() {
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.logger.Error().Err(err).Msg("http server stopped")
		}
	}()
	mode := "normal"
	if !s.cfg.HasCredentials() {
		mode = "setup"
	}
	s.logger.Info().Str("address", ln.Addr().String()).Str("mode", mode).Msg("foureyes is listening")
	if mode == "setup" {
		s.logger.Info().Msgf("no GitHub App credentials yet: open %s to register foureyes", s.SetupURL())
	}
	return nil
}

// SetupURL is the setup page's address with its token ("" once registered at start).
func (s *Server) SetupURL() string {
	if s.setupToken == "" {
		return ""
	}
	return s.cfg.Server.PublicURL + "/setup?token=" + s.setupToken
}

// Addr is the listening address (useful with port 0).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Registered says whether the server runs in normal mode.
func (s *Server) Registered() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running != nil
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/github/hook", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*s.app.Load()).ServeHTTP(w, r)
	}))
	mux.HandleFunc("GET /api/health", s.health)
	mux.HandleFunc("/console/", s.serveConsole)
	mux.HandleFunc("/console", s.serveConsole)
	s.tickets.routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.setup != nil { // the setup pages also say "registered" once done
			s.setup.ServeHTTP(w, r)
			return
		}
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "foureyes is running. Webhooks: POST /api/github/hook; health: /api/health; metrics: /metrics")
	})
	return mux
}

// health answers 200 when the store answers: without it no webhook can be accepted.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "application/json")
	if err := s.store.Ping(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, `{"status":"unavailable","store":%q}`+"\n", err.Error())
		return
	}
	mode := "normal"
	if !s.Registered() {
		mode = "setup"
	}
	fmt.Fprintf(w, `{"status":"ok","store":"ok","mode":%q}`+"\n", mode)
}

// registered is the setup page's callback: the app now exists on GitHub, so the server
// switches to normal mode without a restart.
func (s *Server) registered(c setup.Credentials) error {
	s.mu.Lock()
	s.cfg.GitHub.App.IntegrationID = c.AppID
	s.cfg.GitHub.App.WebhookSecret = c.WebhookSecret
	s.cfg.GitHub.App.PrivateKey = c.PrivateKey
	if s.cfg.GitHub.App.ClientID == "" {
		s.cfg.GitHub.App.ClientID, s.cfg.GitHub.App.ClientSecret = c.ClientID, c.ClientSecret
	}
	s.mu.Unlock()
	if err := checkCredentials(&s.cfg); err != nil {
		return err
	}
	if err := s.startApp(); err != nil {
		return err
	}
	s.logger.Info().Int64("app_id", c.AppID).Str("slug", c.Slug).Msg("GitHub App registered: normal mode")
	return nil
}

// Shutdown stops taking webhooks, lets running evaluations finish (bounded by ctx) and
// returns every delivery not yet processed to the inbox.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.mu.Lock()
	a := s.running
	s.mu.Unlock()
	if a != nil {
		a.stop(ctx)
	}
	if c := s.console.Load(); c != nil {
		c.Close()
	}
	s.cancel()
	s.bg.Wait()
	return err
}
