package policy

// ticket looks for the change-ticket reference in the places the rule names, in the
// canonical order title, body, branch, commits, and reports the first match.
func (e *evaluator) ticket(t *Ticket) RequirementResult {
	q := RequirementResult{Kind: KindTicket, Evidence: []Evidence{}}
	pr := &e.f.PullRequest
	found := func(ref, where string) RequirementResult {
		q.Status, q.Reason = StatusPass, ref+" in "+where
		q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceTicket, Subject: ref, Source: where, Text: ref + " found in " + where})
		return q
	}
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
				return found(t.re.FindString(s), where)
			}
		case "commits":
			for i := range e.f.Commits {
				if m := e.f.Commits[i].Message; t.first.mayMatch(m) && t.re.MatchString(m) {
					return found(t.re.FindString(m), "commit "+short(e.f.Commits[i].SHA))
				}
			}
		}
	}
	q.Status, q.Reason = StatusFail, "no ticket reference matching "+t.Pattern+" in "+orList(t.In)
	return q
}
