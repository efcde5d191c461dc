package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/tickets"
	"github.com/foureyes/foureyes/policy"
)

// ticketSystems is the Jira/ServiceNow side of the server: the snapshot service the
// evaluator reads, the Watcher that re-evaluates PRs when their tickets change, and the
// two webhook routes. It exists in setup mode too (the routes answer, re-evaluations
// wait for the app).
type ticketSystems struct {
	cfg     config.Tickets
	service *tickets.Service
	watcher *tickets.Watcher
	metrics *tickets.Metrics
	log     zerolog.Logger
	eval    atomic.Pointer[evaluate.Evaluator]
}

func newTicketSystems(cfg config.Tickets, st store.Store, reg prometheus.Registerer, logger zerolog.Logger, now func() time.Time) (*ticketSystems, error) {
	log := logger.With().Str("component", "tickets").Logger()
	ts := &ticketSystems{cfg: cfg, metrics: tickets.NewMetrics(reg), log: log}
	var readers []tickets.Reader
	if j := cfg.Jira; j.URL != "" {
		r, err := tickets.NewJira(tickets.JiraConfig{URL: j.URL, API: j.API, Email: j.Email, Token: j.Token, PAT: j.PAT, Metrics: ts.metrics})
		if err != nil {
			return nil, err
		}
		readers = append(readers, r)
	}
	if s := cfg.ServiceNow; s.URL != "" {
		r, err := tickets.NewServiceNow(tickets.ServiceNowConfig{URL: s.URL, Username: s.Username, Password: s.Password,
			ClientID: s.ClientID, ClientSecret: s.ClientSecret, Metrics: ts.metrics})
		if err != nil {
			return nil, err
		}
		readers = append(readers, r)
	}
	ts.service = tickets.NewService(tickets.Options{Users: cfg.Users, Now: now, Log: log}, readers...)
	poll := cfg.PollInterval.D()
	if poll <= 0 {
		poll = tickets.DefaultPollInterval
	}
	ts.watcher = &tickets.Watcher{Service: ts.service, Reevaluate: ts.reevaluate, PollInterval: poll,
		RetryBase: min(tickets.DefaultRetryBase, poll), Tick: min(time.Second, max(poll/2, 10*time.Millisecond)),
		Now: now, Metrics: ts.metrics, Log: log, Store: st,
		IsOpen: func(ctx context.Context, s tickets.Subject) bool {
			pr, err := st.GetPR(ctx, s.Repo, s.Number)
			return err != nil || pr.Open // unsure: re-evaluate, the evaluator skips a closed PR
		},
		Lead: func(ctx context.Context) (func(), bool) {
			release, ok, err := st.TryLead(ctx, "tickets-resume")
			return release, ok && err == nil
		}}
	return ts, nil
}

// attach points the ticket side at a running evaluator.
func (ts *ticketSystems) attach(ev *evaluate.Evaluator) {
	ev.Tickets = ts.service
	ev.TicketsRead = func(t evaluate.Target, snaps map[string]policy.TicketSnapshot, waiting bool) {
		ts.watcher.Observe(tickets.Subject{InstallationID: t.InstallationID, Repo: t.Owner + "/" + t.Repo, Number: t.Number}, snaps, waiting)
	}
	ts.eval.Store(ev)
}

func (ts *ticketSystems) reevaluate(ctx context.Context, s tickets.Subject) error {
	ev := ts.eval.Load()
	if ev == nil {
		return errors.New("foureyes is not registered with GitHub yet")
	}
	owner, repo, _ := strings.Cut(s.Repo, "/")
	_, err := ev.PullRequest(ts.log.WithContext(ctx), evaluate.Target{InstallationID: s.InstallationID, Owner: owner, Repo: repo, Number: s.Number})
	return err
}

// routes mounts POST /api/jira/hook and POST /api/servicenow/hook. Without a configured
// secret a route refuses every request (401): an unauthenticated hook would let anyone
// trigger evaluations.
func (ts *ticketSystems) routes(mux *http.ServeMux) {
	mux.Handle("/api/jira/hook", tickets.JiraHook(ts.cfg.Jira.WebhookSecret, ts.watcher.Changed, ts.metrics, ts.log))
	mux.Handle("/api/servicenow/hook", tickets.ServiceNowHook(ts.cfg.ServiceNow.WebhookSecret, ts.watcher.Changed, ts.metrics, ts.log))
}
