// Package metrics holds foureyes' Prometheus collectors, so every package counts into one
// registry that GET /metrics serves.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the server's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	Deliveries         *prometheus.CounterVec // by event and result
	Decisions          *prometheus.CounterVec // by outcome
	GitHubRequests     *prometheus.CounterVec // by route and status
	RateLimitRemaining *prometheus.GaugeVec   // by rate-limit resource
	InboxDepth         prometheus.Gauge
	EvaluationSeconds  prometheus.Histogram
	EvaluationRequests prometheus.Histogram // rate-limited GitHub requests per evaluation
	CheckRunWrites     *prometheus.CounterVec
	DeploymentAnswers  *prometheus.CounterVec // by state
	RefusedCallbacks   prometheus.Counter
	// EmergencyReviewsOverdue counts emergency changes whose review after the fact is
	// past its review_within deadline.
	EmergencyReviewsOverdue prometheus.Gauge
	SkippedEvents           *prometheus.CounterVec // by event and reason: events that cost no evaluation
	Confirmations           prometheus.Counter     // derived decisions re-read from GitHub before being written (greens, unknown permissions)
	GraphQLFallbacks        prometheus.Counter     // confirmations read from REST because GraphQL could not answer
	BackgroundWaits         prometheus.Counter     // background evaluations held back by a low rate budget
}

// New registers every collector on a fresh registry.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{
		Registry: reg,
		Deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_webhook_deliveries_total",
			Help: "Webhook deliveries by event and result (accepted, duplicate, bad_signature, too_large, processed, retried, failed).",
		}, []string{"event", "result"}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_decisions_total",
			Help: "Pull request decisions by outcome.",
		}, []string{"outcome"}),
		GitHubRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_github_requests_total",
			Help: "GitHub API requests by route and status; status 304 means answered from cache after revalidation.",
		}, []string{"route", "status"}),
		RateLimitRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "foureyes_github_rate_limit_remaining",
			Help: "The x-ratelimit-remaining GitHub last reported, by x-ratelimit-resource.",
		}, []string{"resource"}),
		InboxDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "foureyes_inbox_depth",
			Help: "Webhook deliveries stored and not yet processed.",
		}),
		EvaluationSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "foureyes_evaluation_seconds",
			Help:    "Time to evaluate one pull request, GitHub requests included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}),
		EvaluationRequests: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "foureyes_evaluation_github_requests",
			Help:    "Rate-limited GitHub requests spent on one evaluation (304s excluded).",
			Buckets: []float64{0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 50},
		}),
		CheckRunWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_check_run_writes_total",
			Help: "Check run writes by kind (create, update, unchanged).",
		}, []string{"kind"}),
		DeploymentAnswers: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_deployment_answers_total",
			Help: "Deployment protection rule answers by state.",
		}, []string{"state"}),
		RefusedCallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "foureyes_refused_callback_urls_total",
			Help: "Deployment callback URLs refused because they do not point at the configured GitHub API.",
		}),
		EmergencyReviewsOverdue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "foureyes_emergency_reviews_overdue",
			Help: "Emergency changes whose independent review after the fact is past its deadline (review_within).",
		}),
	}
	m.SkippedEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "foureyes_webhook_events_skipped_total",
		Help: "Webhook events that cannot change a decision and cost no GitHub request, by event and reason.",
	}, []string{"event", "reason"})
	m.Confirmations = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "foureyes_green_confirmations_total",
		Help: "Decisions reached on webhook-derived state that were confirmed by reading the PR, reviews and checks again before the write: every green one, and those that needed a permission not yet cached (read in the same confirmation).",
	})
	m.BackgroundWaits = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "foureyes_background_rate_limit_waits_total",
		Help: "Background evaluations (sweeper, policy fan-out) that waited for the rate-limit reset because the installation was below github.rate_limit_reserve.",
	})
	m.GraphQLFallbacks = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "foureyes_graphql_fallbacks_total",
		Help: "Confirmations that GraphQL could not answer (endpoint missing, query refused, errors in the answer) and that were read from REST instead.",
	})
	reg.MustRegister(m.SkippedEvents, m.Confirmations, m.BackgroundWaits, m.GraphQLFallbacks)
	reg.MustRegister(m.Deliveries, m.Decisions, m.GitHubRequests, m.RateLimitRemaining, m.InboxDepth,
		m.EvaluationSeconds, m.EvaluationRequests, m.CheckRunWrites, m.DeploymentAnswers, m.RefusedCallbacks, m.EmergencyReviewsOverdue)
	return m
}
