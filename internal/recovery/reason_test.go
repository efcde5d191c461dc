package recovery

import (
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

func TestReevaluateReason(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	ago := func(d time.Duration) time.Time { return now.Add(-d) }
	limits := SweepLimits{InProgressLimit: 30 * time.Minute, StaleAfter: 13 * 24 * time.Hour}
	run := func(status string, updated time.Duration) *store.CheckRun {
		return &store.CheckRun{Status: status, UpdatedAt: ago(updated)}
	}
	pr := func(lastEvent time.Duration) *store.PR { return &store.PR{LastEventAt: ago(lastEvent)} }
	for _, tc := range []struct {
		name      string
		run       *store.CheckRun
		pr        *store.PR
		ghUpdated time.Time
		want      Reason
	}{
		{"no run", nil, pr(time.Hour), time.Time{}, ReasonMissing},
		{"no run, unknown PR", nil, nil, time.Time{}, ReasonMissing},
		{"completed and current", run("completed", time.Hour), pr(2 * time.Hour), ago(3 * time.Hour), ""},
		{"completed, PR unknown to the store", run("completed", time.Hour), nil, time.Time{}, ""},
		{"in progress within the limit", run("in_progress", 10*time.Minute), nil, time.Time{}, ""},
		{"in progress too long", run("in_progress", 31*time.Minute), nil, time.Time{}, ReasonInProgress},
		{"queued too long", run("queued", time.Hour), nil, time.Time{}, ReasonInProgress},
		{"incomplete near the 14 days", run("in_progress", 13*24*time.Hour+time.Minute), nil, time.Time{}, ReasonNearStale},
		{"completed long ago does not go stale", run("completed", 20*24*time.Hour), pr(21 * 24 * time.Hour), time.Time{}, ""},
		{"event after the run", run("completed", time.Hour), pr(30 * time.Minute), time.Time{}, ReasonBehindEvent},
		{"event at the run's time", run("completed", time.Hour), pr(time.Hour), time.Time{}, ""},
		{"updated on GitHub after the run", run("completed", 5*time.Hour), pr(6 * time.Hour), ago(2 * time.Hour), ReasonUpdatedOnGitHub},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := reevaluateReason(tc.run, tc.pr, tc.ghUpdated, now, limits); got != tc.want {
				t.Errorf("reason = %q, want %q", got, tc.want)
			}
		})
	}
}
