package deploy

import (
	"context"
	"time"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/policy"
)

// DefaultTicketRetries are the waits before re-reading change requests that could not be
// read: a deployment is answered once, so the gate retries a few times before the
// requirement's pending turns into a rejection.
var DefaultTicketRetries = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}

// addChangeRequests records the decision time and reads the change requests that
// require.change_request needs: the window is judged against this time, from the facts,
// so the decision can be re-derived later. Unreachable ones are read again with backoff.
func (g *Gate) addChangeRequests(ctx context.Context, p *policy.Policy, f *policy.DeploymentFacts) {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	refs := p.ChangeRequestRefs(*f)
	retries := g.TicketRetries
	if retries == nil {
		retries = DefaultTicketRetries
	}
	for attempt := 0; ; attempt++ {
		f.At = now().UTC().Format(time.RFC3339)
		var r facts.TicketReader // nil: facts.Tickets marks every change request unreachable
		if g.Evaluator.Tickets != nil {
			r = fresh{g.Evaluator.Tickets}
		}
		f.Tickets = facts.Tickets(ctx, r, refs)
		if !anyUnreachable(f.Tickets) || attempt >= len(retries) {
			return
		}
		t := time.NewTimer(retries[attempt])
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func anyUnreachable(m map[string]policy.TicketSnapshot) bool {
	for _, s := range m {
		if s.Read == policy.TicketReadUnreachable {
			return true
		}
	}
	return false
}

// fresh reads change requests bypassing the cache when the reader can: a deployment is
// answered once, on the change request as it is now.
type fresh struct{ r facts.TicketReader }

func (f fresh) Snapshot(ctx context.Context, system, key string) policy.TicketSnapshot {
	if fr, ok := f.r.(interface {
		Fresh(ctx context.Context, system, key string) policy.TicketSnapshot
	}); ok {
		return fr.Fresh(ctx, system, key)
	}
	return f.r.Snapshot(ctx, system, key)
}
