package tickets

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the ticket systems are asked and how they answer.
type Metrics struct {
	Requests *prometheus.CounterVec // by system, endpoint and status
	Polls    *prometheus.CounterVec // by system and result (unchanged, changed, unreachable)
	Webhooks *prometheus.CounterVec // by system and result (accepted, bad_signature, ignored)
}

// NewMetrics registers the collectors on reg (nil: unregistered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_ticket_requests_total",
			Help: "Requests to Jira and ServiceNow by system, endpoint and HTTP status (error: no answer).",
		}, []string{"system", "endpoint", "status"}),
		Polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_ticket_polls_total",
			Help: "Polls of tickets that pending pull requests wait on, by system and result.",
		}, []string{"system", "result"}),
		Webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "foureyes_ticket_webhooks_total",
			Help: "Jira and ServiceNow webhooks by system and result (accepted, bad_signature, ignored).",
		}, []string{"system", "result"}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Polls, m.Webhooks)
	}
	return m
}

func (m *Metrics) count(system, endpoint, status string) {
	if m != nil {
		m.Requests.WithLabelValues(system, endpoint, status).Inc()
	}
}

func (m *Metrics) poll(system, result string) {
	if m != nil {
		m.Polls.WithLabelValues(system, result).Inc()
	}
}

func (m *Metrics) webhook(system, result string) {
	if m != nil {
		m.Webhooks.WithLabelValues(system, result).Inc()
	}
}
