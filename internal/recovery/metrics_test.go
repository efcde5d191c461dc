package recovery_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/foureyes/foureyes/internal/recovery"
)

func TestNewMetricsRegisters(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := recovery.NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	m.Redelivered.Add(2)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		for _, mm := range f.GetMetric() {
			got[f.GetName()] = mm.GetCounter().GetValue() + mm.GetGauge().GetValue()
		}
	}
	for _, tc := range []struct {
		name string
		want float64
	}{
		{"foureyes_redelivery_deliveries_seen_total", 0},
		{"foureyes_redelivery_failed_total", 0},
		{"foureyes_redelivery_redelivered_total", 2},
		{"foureyes_sweep_prs_checked_total", 0},
		{"foureyes_sweep_reevaluated_total", 0},
		{"foureyes_recovery_leader", 0},
	} {
		v, ok := got[tc.name]
		if !ok || v != tc.want {
			t.Errorf("%s = %v (registered %v), want %v", tc.name, v, ok, tc.want)
		}
	}
	if _, err := recovery.NewMetrics(reg); err == nil {
		t.Error("registering twice on one registry succeeded; want an error")
	}
}
