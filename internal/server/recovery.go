package server

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/recovery"
)

// leaderGrace is how long a new leader waits before its first job: longer than the
// check interval of a lock's session (about a second) plus one check's timeout, so a
// leader that lost the database has stopped first. With SQLite one process leads.
func leaderGrace(driver string) time.Duration {
	if driver == "postgres" {
		return 3 * time.Second
	}
	return 0
}

// recoveryLoops builds the loops that heal what GitHub never delivered: the redelivery
// reconciler (failed webhooks of the last 3 days) and the sweeper (open PRs whose check is
// missing, stuck or older than their last event). One replica leads them.
func (s *Server) recoveryLoops(clients githubapp.ClientCreator, ev *evaluate.Evaluator) (*recovery.Loops, error) {
	appClient, err := clients.NewAppClient()
	if err != nil {
		return nil, fmt.Errorf("app client: %w", err)
	}
	m, err := recovery.NewMetrics(s.metrics.Registry)
	if err != nil {
		return nil, fmt.Errorf("recovery metrics: %w", err)
	}
	log := s.logger.With().Str("component", "recovery").Logger()
	return &recovery.Loops{
		Leader:     s.store,
		Locks:      s.store,
		Grace:      leaderGrace(s.cfg.Store.Driver),
		Reconciler: &recovery.Reconciler{App: appClient, Store: s.store, Metrics: m, Log: log},
		Sweeper: &recovery.Sweeper{
			Installations: recovery.AppInstallations(appClient),
			Clients:       clients.NewInstallationClient,
			Store:         s.store,
			CheckName:     s.cfg.Policy.CheckName,
			Metrics:       m,
			Log:           log,
			Evaluate: func(ctx context.Context, r recovery.Reevaluation) error {
				owner, name, _ := strings.Cut(r.Repo, "/")
				_, err := ev.PullRequest(log.WithContext(ctx), evaluate.Target{InstallationID: r.InstallationID, Owner: owner, Repo: name, Number: r.Number, Fresh: true})
				return err
			},
		},
		ReconcileEvery: s.cfg.Recovery.ReconcileInterval.D(),
		SweepEvery:     s.cfg.Recovery.SweepInterval.D(),
		Metrics:        m,
		Log:            log,
	}, nil
}
