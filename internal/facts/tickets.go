package facts

import (
	"context"

	"github.com/foureyes/foureyes/policy"
)

// TicketReader reads a ticket snapshot from Jira or ServiceNow (tickets.Service). It
// never fails: a ticket it cannot read comes back with Read "unreachable".
type TicketReader interface {
	Snapshot(ctx context.Context, system, key string) policy.TicketSnapshot
}

// Tickets reads the tickets the policy needs (policy.TicketRefs, ChangeRequestRefs) into
// the map Facts.Tickets holds, keyed by reference. Nil refs give nil, so facts of
// policies without ticket.verify stay as they were. Without a reader every ticket is
// unreachable: the requirement stays pending rather than passing unchecked.
func Tickets(ctx context.Context, r TicketReader, refs []policy.TicketRef) map[string]policy.TicketSnapshot {
	if len(refs) == 0 {
		return nil
	}
	out := make(map[string]policy.TicketSnapshot, len(refs))
	for _, ref := range refs {
		if r == nil {
			out[ref.Key] = policy.TicketSnapshot{Key: ref.Key, System: ref.System, Read: policy.TicketReadUnreachable,
				Error: "no ticket system is configured on this server", Approvals: []policy.TicketApproval{}}
			continue
		}
		out[ref.Key] = r.Snapshot(ctx, ref.System, ref.Key)
	}
	return out
}
