package policy

// ticket looks for the change-ticket reference in the places the rule names, in the
// canonical order title, body, branch, commits, and reports the first match. With
// ticket.verify the match must also be a real ticket in the state the rule asks for.
func (e *evaluator) ticket(t *Ticket) RequirementResult {
	ref, where := e.findTicket(t)
	if ref == "" {
		return RequirementResult{Kind: KindTicket, Evidence: []Evidence{}, Status: StatusFail,
			Reason: "no ticket reference matching " + t.Pattern + " in " + orList(t.In)}
	}
	if t.Verify != nil {
		return e.verifyTicket(t.Verify, ref, where)
	}
	return RequirementResult{Kind: KindTicket, Status: StatusPass, Reason: ref + " in " + where,
		Evidence: []Evidence{{Kind: EvidenceTicket, Subject: ref, Source: where, Text: ref + " found in " + where}}}
}
