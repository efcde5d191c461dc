package deploy

import (
	"context"
	"time"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/policy"
)

// addChangeRequests records the decision time and reads the change requests that
// require.change_request needs: the window is judged against this time, from the facts,
// so the decision can be re-derived later.
func (g *Gate) addChangeRequests(ctx context.Context, p *policy.Policy, f *policy.DeploymentFacts) {
	now := time.Now
	if g.Now != nil {
		now = g.Now
	}
	f.At = now().UTC().Format(time.RFC3339)
	f.Tickets = facts.Tickets(ctx, g.Evaluator.Tickets, p.ChangeRequestRefs(*f))
}
