package console

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// postureData is the posture page: per organisation and repository, and the charts.
type postureData struct {
	Orgs      []orgPosture
	Total     store.RepoPosture
	Weeks     []week
	Chart     chart
	Chain     chainStatus
	NoPolicy  int
	Installed int      // repositories seen in the period
	orgs      []string // the organisations the session sees whole
}

// Whole says whether the session sees all of org (and so may download its report).
func (d postureData) Whole(org string) bool {
	for _, o := range d.orgs {
		if strings.EqualFold(o, org) {
			return true
		}
	}
	return false
}

type orgPosture struct {
	Org   string
	Total store.RepoPosture
	Repos []store.RepoPosture
}

// week is one bar of the charts: merges of a week starting Monday.
type week struct {
	Start      string
	Merged     int64
	MergedPass int64
}

func add(t *store.RepoPosture, r store.RepoPosture) {
	t.Merged += r.Merged
	t.MergedPass += r.MergedPass
	t.Violations += r.Violations
	t.DeployApproved += r.DeployApproved
	t.DeployRejected += r.DeployRejected
	t.Decisions += r.Decisions
	t.Exceptions += r.Exceptions
	t.OpenExceptions += r.OpenExceptions
}

func (c *Console) posture(w http.ResponseWriter, r *http.Request, s *session) error {
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return err
	}
	pos, err := c.cfg.Store.PostureOf(r.Context(), s.access.Scope, p.store())
	if err != nil {
		return err
	}
	d := postureData{Weeks: weeks(p, pos.Days), orgs: s.access.Scope.Orgs}
	for _, rp := range pos.Repos {
		org, _, _ := cut(rp.Repo)
		if len(d.Orgs) == 0 || d.Orgs[len(d.Orgs)-1].Org != org {
			d.Orgs = append(d.Orgs, orgPosture{Org: org})
		}
		o := &d.Orgs[len(d.Orgs)-1]
		o.Repos = append(o.Repos, rp)
		add(&o.Total, rp)
		add(&d.Total, rp)
		if rp.NoPolicy {
			d.NoPolicy++
		}
		d.Installed++
	}
	d.Chart = newChart(d.Weeks)
	d.Chain, err = c.chainStatus(r)
	if err != nil {
		return err
	}
	c.render(w, r, s, http.StatusOK, "posture", &view{Title: "Posture", Nav: "posture", Period: p, Data: d})
	return nil
}

// weeks buckets the days of p into weeks starting on Monday (the first may be partial).
func weeks(p period, days []store.DayPosture) []week {
	start := p.Since
	for start.Weekday() != time.Monday {
		start = start.AddDate(0, 0, -1)
	}
	var out []week
	idx := map[string]int{}
	for d := start; !d.After(p.Until); d = d.AddDate(0, 0, 7) {
		idx[d.Format(dateFormat)] = len(out)
		out = append(out, week{Start: d.Format(dateFormat)})
		if len(out) > 600 {
			break
		}
	}
	for _, dp := range days {
		t, err := time.Parse(dateFormat, dp.Day)
		if err != nil {
			continue
		}
		for t.Weekday() != time.Monday {
			t = t.AddDate(0, 0, -1)
		}
		if i, ok := idx[t.Format(dateFormat)]; ok {
			out[i].Merged += dp.Merged
			out[i].MergedPass += dp.MergedPass
		}
	}
	return out
}

// chart is the two inline SVG charts, laid out here so the template only draws.
type chart struct {
	Width, Height int
	Bars          []bar
	Points        string // the pass-rate polyline
	Dots          []dot
	Max           int64
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

type dot struct {
	X, Y  float64
	Title string
}

func newChart(ws []week) chart {
	ch := chart{Width: 640, Height: 160}
	if len(ws) == 0 {
		return ch
	}
	for _, w := range ws {
		ch.Max = max(ch.Max, w.Merged)
	}
	slot := float64(ch.Width) / float64(len(ws))
	for i, w := range ws {
		x := float64(i) * slot
		h := 0.0
		if ch.Max > 0 {
			h = float64(w.Merged) / float64(ch.Max) * float64(ch.Height-20)
		}
		ch.Bars = append(ch.Bars, bar{X: x + slot*0.15, Y: float64(ch.Height) - h, W: slot * 0.7, H: h,
			Title: fmt.Sprintf("week of %s: %d merged, %d with a passing decision", w.Start, w.Merged, w.MergedPass)})
		if w.Merged > 0 {
			rate := float64(w.MergedPass) / float64(w.Merged)
			y := float64(ch.Height) - rate*float64(ch.Height-20)
			ch.Dots = append(ch.Dots, dot{X: x + slot/2, Y: y, Title: fmt.Sprintf("week of %s: %.0f%% passed", w.Start, rate*100)})
			ch.Points += fmt.Sprintf("%.1f,%.1f ", x+slot/2, y)
		}
	}
	return ch
}

func cut(repo string) (string, string, bool) {
	for i := 0; i < len(repo); i++ {
		if repo[i] == '/' {
			return repo[:i], repo[i+1:], true
		}
	}
	return repo, "", false
}
