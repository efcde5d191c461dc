package policy

import (
	"slices"
	"strings"
)

// TicketRef is a ticket the policy needs read: the gatherer reads exactly these into
// Facts.Tickets (or DeploymentFacts.Tickets).
type TicketRef struct {
	System string `json:"system"`
	Key    string `json:"key"`
}

// TicketRefs lists, sorted, the tickets that the rules applying to this change verify:
// the reference each such rule finds, as ticket() would find it.
func (p *Policy) TicketRefs(f Facts) []TicketRef {
	out := []TicketRef{}
	if p == nil {
		return out
	}
	e := evaluator{f: &f}
	for _, r := range p.Rules {
		if r.Ticket == nil || r.Ticket.Verify == nil {
			continue
		}
		if ok, _ := e.applies(r); !ok {
			continue
		}
		if ref, _ := e.findTicket(r.Ticket); ref != "" {
			out = append(out, TicketRef{System: r.Ticket.Verify.System, Key: ref})
		}
	}
	return sortRefs(out)
}

// ChangeRequestRefs lists, sorted, the change requests the deployment rules that match
// the environment need read.
func (p *Policy) ChangeRequestRefs(f DeploymentFacts) []TicketRef {
	out := []TicketRef{}
	if p == nil {
		return out
	}
	for _, r := range p.Deployments {
		if r.ChangeRequest == nil || !matchAny(r.Environments, f.Environment) {
			continue
		}
		for _, found := range changeRefs(r.ChangeRequest, &f) {
			out = append(out, TicketRef{System: r.ChangeRequest.System, Key: found.key})
		}
	}
	return sortRefs(out)
}

func sortRefs(out []TicketRef) []TicketRef {
	slices.SortFunc(out, func(a, b TicketRef) int {
		if c := strings.Compare(a.System, b.System); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return slices.Compact(out)
}

// findTicket returns the first reference of t in the places it names, and where.
func (e *evaluator) findTicket(t *Ticket) (string, string) {
	pr := &e.f.PullRequest
	for _, where := range t.In {
		switch where {
		case "title", "body", "branch":
			s := pr.Title
			if where == "body" {
				s = pr.Body
			} else if where == "branch" {
				s = pr.Head.Ref
			}
			if t.first.mayMatch(s) && t.re.MatchString(s) {
				return t.re.FindString(s), where
			}
		case "commits":
			for i := range e.f.Commits {
				if m := e.f.Commits[i].Message; t.first.mayMatch(m) && t.re.MatchString(m) {
					return t.re.FindString(m), "commit " + short(e.f.Commits[i].SHA)
				}
			}
		}
	}
	return "", ""
}

// systemTitle names a system in reasons.
func systemTitle(system string) string {
	switch system {
	case SystemJira:
		return "Jira"
	case SystemServiceNow:
		return "ServiceNow"
	}
	return system
}

// ticketVerdict judges a snapshot against statuses and approved. A status, a reason
// and the approvers who approved (for independence and evidence) come back.
func ticketVerdict(snap TicketSnapshot, ok bool, key, system string, statuses []string, approved bool) (Status, string, []TicketApprover) {
	sys := systemTitle(system)
	switch {
	case !ok || snap.System != system:
		return StatusPending, key + " has not been read from " + sys + " yet", nil
	case snap.Read == TicketReadUnreachable:
		return StatusPending, sys + " unreachable, retrying", nil
	case snap.Read == TicketReadNotFound:
		return StatusFail, key + " does not exist in " + sys, nil
	case snap.Read != TicketReadOK:
		return StatusPending, key + " has not been read from " + sys + " yet", nil
	}
	if len(statuses) > 0 && !statusAllowed(snap, statuses) {
		return StatusFail, key + " is " + orUnknown(snap.Status) + ", not " + orList(statuses), nil
	}
	step, hasStep := decidingApproval(snap.Approvals)
	var by []TicketApprover
	if hasStep && step.Decision == "approved" {
		for _, a := range step.Approvers {
			if a.Decision == "approved" {
				by = append(by, a)
			}
		}
	}
	if approved {
		switch {
		case !hasStep:
			return StatusFail, key + " has no approval in " + sys, nil
		case step.Decision != "approved":
			return StatusFail, key + " is not approved (" + orUnknown(step.Decision) + ")", nil
		}
	}
	reason := key + " is " + orUnknown(snap.Status)
	if len(by) > 0 {
		names := make([]string, len(by))
		for i, a := range by {
			names[i] = approverName(a)
		}
		at := step.CompletedAt
		if at == "" {
			at = by[0].At
		}
		reason += ", approved by " + joinList(names)
		if at != "" {
			reason += " at " + minute(at)
		}
	}
	return StatusPass, reason, by
}

// statusAllowed matches the status name, or for Jira the status category key,
// case-insensitively.
func statusAllowed(snap TicketSnapshot, statuses []string) bool {
	for _, s := range statuses {
		if strings.EqualFold(s, snap.Status) || (snap.System == SystemJira && snap.StatusCategory != "" && strings.EqualFold(s, snap.StatusCategory)) {
			return true
		}
	}
	return false
}

// decidingApproval is the approval step that stands: the most recently created one (a
// declined step followed by a new request is decided by the new one).
func decidingApproval(steps []TicketApproval) (TicketApproval, bool) {
	if len(steps) == 0 {
		return TicketApproval{}, false
	}
	best := 0
	for i := 1; i < len(steps); i++ {
		if compareTime(steps[i].CreatedAt, steps[best].CreatedAt) >= 0 {
			best = i
		}
	}
	return steps[best], true
}

func approverName(a TicketApprover) string {
	switch {
	case a.Login != "":
		return a.Login
	case a.Name != "":
		return a.Name
	case a.Email != "":
		return a.Email
	}
	return "an unnamed approver"
}

// minute renders an RFC 3339 time as "2026-11-20 10:02" (UTC).
func minute(ts string) string {
	if len(ts) >= 16 && ts[10] == 'T' {
		return ts[:10] + " " + ts[11:16]
	}
	return ts
}

// verifyTicket judges the ticket the rule found.
func (e *evaluator) verifyTicket(v *TicketVerify, ref, where string) RequirementResult {
	q := RequirementResult{Kind: KindTicket, Evidence: []Evidence{}}
	snap, ok := e.f.Tickets[ref]
	status, reason, by := ticketVerdict(snap, ok, ref, v.System, v.Statuses, v.Approved)
	if status == StatusPass && v.IndependentApprover {
		if why := e.authorApproval(by); why != "" {
			status, reason = StatusFail, ref+" was approved by "+why
		}
	}
	ev := Evidence{Kind: EvidenceTicket, Subject: ref, Source: where, Result: snap.Status, Text: reason}
	if snap.Digest != "" {
		ev.Text += " (read " + minute(snap.ReadAt) + ", " + snap.Digest + ")"
	}
	if snap.Read == TicketReadUnreachable && snap.Error != "" {
		ev.Text += ": " + snap.Error
	}
	q.Evidence = append(q.Evidence, ev)
	q.Status, q.Reason = status, reason
	return q
}

// authorApproval names the first approver who took part in the change ("dana, who
// authored commits of this change"), or "".
func (e *evaluator) authorApproval(by []TicketApprover) string {
	type part struct{ login, email, role string }
	var parts []part
	add := func(login, email, role string) {
		parts = append(parts, part{login: login, email: strings.ToLower(email), role: role})
	}
	add(e.f.PullRequest.Author, "", "is the author of the pull request")
	for _, c := range e.f.Commits {
		add(c.Author, c.AuthorEmail, "authored commits of this change")
		if c.Committer != webFlow {
			add(c.Committer, c.CommitterEmail, "committed to this change")
		}
		for _, ca := range c.CoAuthors {
			if strings.Contains(ca, "@") {
				add("", ca, "co-authored this change")
			} else {
				add(ca, "", "co-authored this change")
			}
		}
	}
	for _, p := range e.f.Pushes {
		add(p.Pusher, "", "pushed to this change")
	}
	for _, a := range by {
		if a.Email == "" && a.Login == "" {
			// Nothing to compare: independence cannot be shown, so it is not assumed.
			return approverName(a) + ", who has no e-mail or GitHub login foureyes could compare with the authors"
		}
		email := strings.ToLower(a.Email)
		for _, p := range parts {
			if (a.Login != "" && p.login != "" && strings.EqualFold(a.Login, p.login)) || (email != "" && p.email != "" && email == p.email) {
				return approverName(a) + ", who " + p.role
			}
		}
	}
	return ""
}
