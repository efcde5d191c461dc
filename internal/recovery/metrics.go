package recovery

import (
	"fmt"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Counter is the part of a Prometheus counter the loops use, so tests can count in memory
// (NewCountMetrics) while the server registers real collectors (NewMetrics).
type Counter interface {
	Add(float64)
}

// Gauge is the part of a Prometheus gauge the loops use.
type Gauge interface {
	Set(float64)
}

// Metrics are the loops' counters. A nil *Metrics, or a nil field, counts nothing, so tests
// and tools need not wire them.
type Metrics struct {
	DeliveriesSeen   Counter // foureyes_redelivery_deliveries_seen_total: attempts paged
	DeliveriesFailed Counter // foureyes_redelivery_failed_total: GUIDs with no OK attempt
	Redelivered      Counter // foureyes_redelivery_redelivered_total: redeliveries GitHub accepted
	PRsChecked       Counter // foureyes_sweep_prs_checked_total: open PRs compared with the store
	PRsReevaluated   Counter // foureyes_sweep_reevaluated_total: PRs handed to Evaluate
	Leader           Gauge   // foureyes_recovery_leader: 1 while this replica runs the loops
}

// NewMetrics creates the loops' collectors and registers them on reg (the server's
// registry, so GET /metrics shows them).
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	}
	seen := counter("foureyes_redelivery_deliveries_seen_total", "Webhook delivery attempts read from GET /app/hook/deliveries (overlapping windows count again).")
	failed := counter("foureyes_redelivery_failed_total", "Webhook deliveries (GUIDs) with no successful attempt that the inbox does not hold and that were not redelivered before.")
	redelivered := counter("foureyes_redelivery_redelivered_total", "Webhook deliveries whose redelivery GitHub accepted.")
	checked := counter("foureyes_sweep_prs_checked_total", "Open pull requests the sweeper compared with the store.")
	reevaluated := counter("foureyes_sweep_reevaluated_total", "Open pull requests the sweeper re-evaluated (check run missing, stuck, behind an event or a GitHub update, or near staleness).")
	leader := prometheus.NewGauge(prometheus.GaugeOpts{Name: "foureyes_recovery_leader", Help: "1 while this replica runs the redelivery reconciler and the sweeper."})
	for _, c := range []prometheus.Collector{seen, failed, redelivered, checked, reevaluated, leader} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register recovery metrics: %w", err)
		}
	}
	return &Metrics{DeliveriesSeen: seen, DeliveriesFailed: failed, Redelivered: redelivered,
		PRsChecked: checked, PRsReevaluated: reevaluated, Leader: leader}, nil
}

func (m *Metrics) add(pick func(*Metrics) Counter, n int) {
	if m == nil || n == 0 {
		return
	}
	if c := pick(m); c != nil {
		c.Add(float64(n))
	}
}

func (m *Metrics) setLeader(on bool) {
	if m == nil || m.Leader == nil {
		return
	}
	v := 0.0
	if on {
		v = 1
	}
	m.Leader.Set(v)
}

// Count is a goroutine-safe in-memory Counter and Gauge, for tests and for callers that
// want the numbers without Prometheus.
type Count struct{ v atomic.Int64 }

// Add adds n (rounded down to an integer).
func (c *Count) Add(n float64) { c.v.Add(int64(n)) }

// Set replaces the value.
func (c *Count) Set(n float64) { c.v.Store(int64(n)) }

// Value returns the current value.
func (c *Count) Value() int64 { return c.v.Load() }

// NewCountMetrics returns Metrics whose every field is a *Count, and the counts by field so a
// test can read them.
func NewCountMetrics() (*Metrics, *Counts) {
	c := &Counts{}
	return &Metrics{
		DeliveriesSeen:   &c.DeliveriesSeen,
		DeliveriesFailed: &c.DeliveriesFailed,
		Redelivered:      &c.Redelivered,
		PRsChecked:       &c.PRsChecked,
		PRsReevaluated:   &c.PRsReevaluated,
		Leader:           &c.Leader,
	}, c
}

// Counts holds the values behind NewCountMetrics.
type Counts struct {
	DeliveriesSeen, DeliveriesFailed, Redelivered, PRsChecked, PRsReevaluated, Leader Count
}
