package recovery

import (
	"sort"
	"time"

	"github.com/google/go-github/v60/github"
)

// guidAttempts is every attempt GitHub made to deliver one event. A redelivery reuses the
// GUID, so an event is lost only when none of its attempts succeeded.
type guidAttempts struct {
	GUID     string
	OK       bool                 // some attempt was answered 2xx ("OK")
	Latest   *github.HookDelivery // newest attempt: the one to redeliver and to log
	Oldest   time.Time            // first attempt: how close the event is to the 3-day window
	Attempts int
}

// deliveredOK reports whether GitHub counts an attempt as delivered. The API's status is
// "OK" for a 2xx answer and a message such as "Invalid HTTP Response: 503" otherwise.
func deliveredOK(d *github.HookDelivery) bool {
	return d.GetStatus() == "OK"
}

// groupByGUID folds attempts into events, oldest event first: the oldest are the nearest to
// leaving GitHub's three-day window, so a bounded run must serve them first.
func groupByGUID(attempts []*github.HookDelivery) []guidAttempts {
	byGUID := map[string]*guidAttempts{}
	var order []*guidAttempts
	for _, d := range attempts {
		guid := d.GetGUID()
		if guid == "" {
			continue
		}
		g, ok := byGUID[guid]
		if !ok {
			g = &guidAttempts{GUID: guid}
			byGUID[guid] = g
			order = append(order, g)
		}
		g.Attempts++
		g.OK = g.OK || deliveredOK(d)
		at := d.GetDeliveredAt().Time
		if g.Latest == nil || at.After(g.Latest.GetDeliveredAt().Time) ||
			(at.Equal(g.Latest.GetDeliveredAt().Time) && d.GetID() > g.Latest.GetID()) {
			g.Latest = d
		}
		if g.Oldest.IsZero() || at.Before(g.Oldest) {
			g.Oldest = at
		}
	}
	sort.SliceStable(order, func(i, j int) bool {
		if !order[i].Oldest.Equal(order[j].Oldest) {
			return order[i].Oldest.Before(order[j].Oldest)
		}
		return order[i].GUID < order[j].GUID
	})
	out := make([]guidAttempts, len(order))
	for i, g := range order {
		out[i] = *g
	}
	return out
}
