package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/deploy"
	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/handler"
	"github.com/foureyes/foureyes/internal/health"
	"github.com/foureyes/foureyes/internal/inbox"
	"github.com/foureyes/foureyes/policy"
)

// app is the normal mode: everything that needs GitHub credentials.
type app struct {
	workers   *workers
	coalescer *coalescer
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// startApp builds the GitHub clients, handlers, workers and loops, and switches the
// webhook route to them.
func (s *Server) startApp() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running != nil {
		return nil
	}
	cfg := s.cfg
	budget := ghclient.NewBudget(cfg.GitHub.RateLimitReserve, s.now, s.metrics.BackgroundWaits.Inc)
	selections := ghclient.NewSelections(s.now)
	clients, err := ghclient.NewClientCreator(cfg.GitHub.AppConfig(), s.metrics, 30*time.Second,
		ghclient.WithCacheBytes(cfg.GitHub.HTTPCacheBytes), ghclient.WithBudget(budget), ghclient.WithSelections(selections))
	if err != nil {
		return fmt.Errorf("github clients: %w", err)
	}
	policy.SetRegoTimeout(time.Duration(cfg.Policy.RegoTimeout))
	policies, err := evaluate.NewPolicyLoader(cfg.Policy.File, cfg.Policy.OrgRepo, cfg.Policy.Baseline)
	if err != nil {
		return err
	}
	policies.UseSelections(selections, cfg.Store.Driver == "postgres")
	ev := &evaluate.Evaluator{
		Fleet: cfg.Store.Driver == "postgres", AppID: cfg.GitHub.App.IntegrationID,
		Clients: clients, Store: s.store, Gatherer: facts.New(), Policies: policies, Metrics: s.metrics,
		CheckName: cfg.Policy.CheckName, Missing: cfg.Policy.Missing, Now: s.now, Budget: budget,
		GraphQLURL: graphQLURL(cfg.GitHub.V3APIURL, cfg.GitHub.V4APIURL, s.logger),
	}
	s.tickets.attach(ev)
	prober := &health.Prober{Clients: clients, Store: s.store, AppID: cfg.GitHub.App.IntegrationID,
		CheckName: cfg.Policy.CheckName}
	base := &handler.Base{Store: s.store, Clients: clients, Evaluator: ev, AppID: cfg.GitHub.App.IntegrationID,
		PolicyPath: cfg.Policy.File, MaxBackfill: 100, Now: s.now, OrgRepo: cfg.Policy.OrgRepo, Selections: selections}
	handlers := []githubapp.EventHandler{
		&handler.PullRequest{Base: base}, &handler.PullRequestReview{Base: base}, &handler.CheckRun{Base: base},
		&handler.CheckSuite{Base: base}, &handler.Status{Base: base}, &handler.Push{Base: base},
		&handler.MergeGroup{Base: base}, &handler.Installation{Base: base}, &handler.IssueComment{Base: base},
		&handler.DeploymentProtectionRule{Base: base, Gate: &deploy.Gate{Clients: clients, Store: s.store, Evaluator: ev,
			Metrics: s.metrics, APIURL: cfg.GitHub.V3APIURL, RejectUnknown: cfg.Deployments.RejectUnknown, Now: s.now}},
		&handler.DeploymentEvents{Base: base},
		&handler.AppAuthorization{Base: base},
		&handler.ControlHealth{Base: base, Prober: prober},
	}
	byEvent := map[string]githubapp.EventHandler{}
	for _, h := range handlers {
		for _, e := range h.Handles() {
			byEvent[e] = h
		}
	}
	ctx, cancel := context.WithCancel(s.logger.WithContext(s.ctx))
	a := &app{cancel: cancel}
	w := &workers{draining: make(chan struct{}), store: s.store, handlers: byEvent, metrics: s.metrics, logger: s.logger, retry: cfg.Retry,
		n: cfg.Workers, wakeCh: make(chan struct{}, 1), now: s.now,
		leases: inbox.NewLeases(s.store, cfg.Inbox.Lease.D(), cfg.Inbox.MaxInFlight, s.logger.With().Str("component", "inbox").Logger())}
	w.coalescer = newCoalescer(ctx, cfg.Workers, DefaultCoalescerCapacity,
		func(ctx context.Context, subj handler.Subject, ids []string) error {
			_, err := ev.PullRequest(ctx, evaluate.Target{InstallationID: subj.InstallationID, Owner: subj.Owner,
				Repo: subj.Repo, Number: subj.Number, DeliveryIDs: ids, Fresh: subj.Background})
			return err
		}, w.settleByID, w.releaseByID)
	w.coalescer.hold = func(subj handler.Subject) time.Time {
		if low, until := budget.Low(subj.InstallationID); low {
			s.metrics.BackgroundWaits.Inc()
			return until
		}
		return time.Time{}
	}
	a.workers, a.coalescer = w, w.coalescer
	dispatcher := githubapp.NewEventDispatcher(handlers, cfg.GitHub.App.WebhookSecret,
		githubapp.WithScheduler(&inboxScheduler{store: s.store, metrics: s.metrics, wake: w.wake, now: s.now}),
		githubapp.WithErrorCallback(hookErrorCallback(s.metrics, knownEvents(byEvent))))
	hook := hookHandler(dispatcher, s.logger, s.metrics, knownEvents(byEvent))
	a.wg.Add(1)
	go func() { defer a.wg.Done(); w.run(ctx) }()
	a.wg.Add(1)
	go func() { defer a.wg.Done(); s.watchOverdueReviews(ctx) }()
	a.wg.Add(1)
	go func() { defer a.wg.Done(); s.tickets.watcher.Run(ctx) }()
	if !cfg.Recovery.Disabled {
		loops, err := s.recoveryLoops(clients, ev)
		if err != nil {
			cancel()
			return err
		}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); _ = loops.Run(ctx) }()
	}
	if !cfg.Health.Disabled {
		loop := &health.Loop{Prober: prober, App: clients.NewAppClient, Leader: s.store, Every: cfg.Health.Interval.D(), Now: s.now,
			Log: s.logger.With().Str("component", "health").Logger()}
		a.wg.Add(1)
		go func() { defer a.wg.Done(); _ = loop.Run(ctx) }()
	}
	if err := s.startConsole(clients); err != nil {
		cancel()
		return err
	}
	s.running = a
	var h http.Handler = hook
	s.app.Store(&h)
	return nil
}

// stop ends the workers and returns unfinished deliveries to the inbox.
func (a *app) stop(ctx context.Context) {
	// Claim nothing more first: the coalescer gives queued deliveries back, and a worker
	// still claiming would take them again while the running evaluations finish.
	a.workers.drain()
	a.coalescer.close(ctx)
	a.cancel()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
