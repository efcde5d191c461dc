package policy

import (
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// TicketVerify is `ticket.verify`: the referenced ticket must exist in Jira or
// ServiceNow, and optionally be in an allowed status, approved, and approved by someone
// who did not write or push the change. foureyes reads the ticket (internal/tickets) and
// records the snapshot in Facts.Tickets; this only judges the snapshot.
type TicketVerify struct {
	System string
	// Statuses are allowed status names (case-insensitive); for Jira also a status
	// category key: new, indeterminate, done. Empty: any status.
	Statuses            []string
	Approved            bool
	IndependentApprover bool
}

// ChangeRequestReq is `require.change_request` on a deployment rule: the change request
// referenced by the deployed pull requests must be in one of States, approved, and the
// deployment must happen inside its planned window.
type ChangeRequestReq struct {
	System       string
	States       []string
	Approved     bool
	WithinWindow bool
	// Pattern finds the reference in the deployed PRs' title, body and branch: the
	// pattern of the first rule whose ticket.verify names the same system, else
	// defaultChangePatterns. Linked by Parse and Merge.
	Pattern string
	re      *regexp.Regexp
}

// KindChangeRequest is the requirement kind of require.change_request.
const KindChangeRequest = "change_request"

var ticketSystems = []string{SystemJira, SystemServiceNow}

// Default reference patterns of change_request when no ticket rule of the same system
// gives one.
var defaultChangePatterns = map[string]string{
	SystemJira:       `[A-Z][A-Z0-9]+-[0-9]+`,
	SystemServiceNow: `CHG[0-9]{7}`,
}

func (p *parser) ticketSystem(v *yaml.Node, what string) string {
	s, ok := p.str(v, what)
	if !ok {
		return ""
	}
	if !slices.Contains(ticketSystems, s) {
		p.err(v, "unknown "+what+" \""+s+"\" (allowed: "+strings.Join(ticketSystems, ", ")+")")
		return ""
	}
	return s
}

// nonEmptyStrings parses a list of non-empty strings that must not itself be empty.
func (p *parser) nonEmptyStrings(v *yaml.Node, what string) []string {
	var out []string
	p.list(v, what, func(item *yaml.Node) {
		s, ok := p.str(item, "each item of "+what)
		if !ok {
			return
		}
		if strings.TrimSpace(s) == "" {
			p.err(item, "an item of "+what+" must not be empty")
			return
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	})
	if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		p.err(v, what+" must not be empty (omit it to allow any)")
	}
	return out
}

func (p *parser) ticketVerify(n *yaml.Node) *TicketVerify {
	t := &TicketVerify{}
	hasSystem := false
	ok := p.mapping(n, "ticket.verify", []string{"system", "statuses", "approved", "independent_approver"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "system":
			hasSystem = true
			t.System = p.ticketSystem(v, "ticket.verify.system")
		case "statuses":
			t.Statuses = p.nonEmptyStrings(v, "ticket.verify.statuses")
		case "approved":
			t.Approved = p.boolean(v, "ticket.verify.approved")
		case "independent_approver":
			t.IndependentApprover = p.boolean(v, "ticket.verify.independent_approver")
		}
	})
	if !ok {
		return nil
	}
	if !hasSystem {
		p.err(n, "ticket.verify has no system (jira or servicenow)")
	}
	return t
}

func (p *parser) changeRequest(n *yaml.Node) *ChangeRequestReq {
	c := &ChangeRequestReq{}
	hasSystem := false
	ok := p.mapping(n, "require.change_request", []string{"system", "states", "approved", "within_window"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "system":
			hasSystem = true
			c.System = p.ticketSystem(v, "change_request.system")
		case "states":
			c.States = p.nonEmptyStrings(v, "change_request.states")
		case "approved":
			c.Approved = p.boolean(v, "change_request.approved")
		case "within_window":
			c.WithinWindow = p.boolean(v, "change_request.within_window")
		}
	})
	if !ok {
		return nil
	}
	if !hasSystem {
		p.err(n, "change_request has no system (jira or servicenow)")
	}
	return c
}

// linkChangePatterns gives every change_request the reference pattern of its system.
// The requirement is copied, so a policy passed to Merge is not modified.
func (p *Policy) linkChangePatterns() {
	for _, d := range p.Deployments {
		if d.ChangeRequest == nil {
			continue
		}
		c := *d.ChangeRequest
		c.Pattern, c.re = defaultChangePatterns[c.System], nil
		for _, r := range p.Rules {
			if r.Ticket != nil && r.Ticket.Verify != nil && r.Ticket.Verify.System == c.System && r.Ticket.re != nil {
				c.Pattern, c.re = r.Ticket.Pattern, r.Ticket.re
				break
			}
		}
		if c.re == nil && c.Pattern != "" {
			c.re = regexp.MustCompile(c.Pattern)
		}
		d.ChangeRequest = &c
	}
}
