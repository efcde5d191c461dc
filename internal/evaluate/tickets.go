package evaluate

import (
	"context"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/policy"
)

// TicketObserver learns which tickets a published decision read, and whether the
// decision still waits (not a pass): the ticket Watcher re-evaluates the PR when one of
// them changes.
type TicketObserver func(t Target, snaps map[string]policy.TicketSnapshot, waiting bool)

// addTickets reads the tickets the policy verifies into the facts, as they are now.
func (e *Evaluator) addTickets(ctx context.Context, p *policy.Policy, f *policy.Facts) {
	if p == nil {
		return
	}
	f.Tickets = facts.Tickets(ctx, e.Tickets, p.TicketRefs(*f))
}

func (e *Evaluator) ticketsRead(t Target, d decided) {
	if e.TicketsRead == nil || d.Facts == nil {
		return
	}
	e.TicketsRead(t, d.Facts.Tickets, waitsOnTicket(d.Decision))
}

// waitsOnTicket says whether a ticket requirement of the decision is not met yet: only
// then is polling its tickets worth the requests.
func waitsOnTicket(d policy.Decision) bool {
	if d.Outcome == policy.OutcomePass {
		return false
	}
	for _, r := range d.Rules {
		for _, q := range r.Requirements {
			if q.Kind == policy.KindTicket && q.Status != policy.StatusPass {
				return true
			}
		}
	}
	return false
}
