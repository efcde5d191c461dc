package evidence

import (
	"sort"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// KindControlHealth is the record internal/health appends when a repository's control
// state changes: Repository, Subject "branch:<default branch>", Outcome the state.
const KindControlHealth = store.KindControlHealth

// HealthUnprobed is the state of a repository before its first control_health record.
const HealthUnprobed = "not probed"

// Interval is a span of the period in which a repository's control had one state.
type Interval struct {
	State  string    `json:"state"`
	Branch string    `json:"branch,omitempty"`
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"` // exclusive; the period's end (or the head's time) for the last
	Seq    int64     `json:"seq,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// RepoHealth is one repository's control states over the period.
type RepoHealth struct {
	Repository string     `json:"repository"`
	Intervals  []Interval `json:"intervals"`
	// EnforcedThroughout: the control was enforced from the period's first instant to
	// its last.
	EnforcedThroughout bool `json:"enforced_throughout"`
}

// HealthIntervals turns control_health records (in sequence order) into intervals per
// repository over [since, until). A zero since starts at the repository's first record;
// a zero until ends at end. Repositories are sorted by name.
func HealthIntervals(recs []store.Record, since, until, end time.Time, org string) []RepoHealth {
	if until.IsZero() || until.After(end) {
		until = end
	}
	byRepo := map[string][]store.Record{}
	for _, r := range recs {
		if r.Kind != KindControlHealth || (org != "" && !strings.HasPrefix(r.Repository, org+"/")) {
			continue
		}
		byRepo[r.Repository] = append(byRepo[r.Repository], r)
	}
	var out []RepoHealth
	for _, repo := range sortedKeys(byRepo) {
		rs := byRepo[repo]
		start := since
		if start.IsZero() {
			start = rs[0].RecordedAt
		}
		cur := Interval{State: HealthUnprobed, From: start}
		var ivs []Interval
		for _, r := range rs {
			if !r.RecordedAt.After(start) {
				cur = Interval{State: r.Outcome, Branch: strings.TrimPrefix(r.Subject, "branch:"), From: start, Seq: r.Seq}
				continue
			}
			if !r.RecordedAt.Before(until) {
				break
			}
			if r.Outcome == cur.State && strings.TrimPrefix(r.Subject, "branch:") == cur.Branch {
				continue
			}
			cur.Until = r.RecordedAt
			ivs = append(ivs, cur)
			cur = Interval{State: r.Outcome, Branch: strings.TrimPrefix(r.Subject, "branch:"), From: r.RecordedAt, Seq: r.Seq}
		}
		if !start.Before(until) {
			continue
		}
		cur.Until = until
		ivs = append(ivs, cur)
		rh := RepoHealth{Repository: repo, Intervals: ivs, EnforcedThroughout: true}
		for _, iv := range ivs {
			if iv.State != "enforced" {
				rh.EnforcedThroughout = false
			}
		}
		out = append(out, rh)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Repository < out[j].Repository })
	return out
}
