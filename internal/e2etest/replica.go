package e2etest

import (
	"context"
	"io"
	"time"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/server"
	"github.com/foureyes/foureyes/internal/store"
)

// Replica is a second foureyes process sharing the harness's database and GitHub, as
// replicas behind a load balancer do.
type Replica struct {
	Server *server.Server
	Store  store.Store
	Sender *githubtest.Sender
}

// AddReplica starts another server on the same store DSN (use PostgreSQL) and a port of
// its own; it is stopped when the test ends.
func (h *Harness) AddReplica() *Replica {
	t := h.T
	t.Helper()
	cfg := h.Config
	cfg.Server.Port = freePort(t)
	st, err := store.Open(context.Background(), h.DSN)
	if err != nil {
		t.Fatalf("replica store: %v", err)
	}
	logger := zerolog.New(io.MultiWriter(syncWriter{h.Logs}, testWriter{t})).With().Str("replica", "2").Timestamp().Logger()
	srv, err := server.New(cfg, st, logger)
	if err != nil {
		t.Fatalf("replica: %v", err)
	}
	if err := srv.Start(context.Background()); err != nil {
		t.Fatalf("replica start: %v", err)
	}
	r := &Replica{Server: srv, Store: st, Sender: githubtest.NewSender("http://"+srv.Addr()+"/api/github/hook", Secret)}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		_ = st.Close()
	})
	return r
}
