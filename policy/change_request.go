package policy

// changeFound is one change request reference in a deployed pull request.
type changeFound struct {
	key   string
	pr    int
	where string
}

// changeRefs finds the change request references of the deployed PRs (title, body,
// branch, in that order), one per distinct reference, in PR order.
func changeRefs(c *ChangeRequestReq, f *DeploymentFacts) []changeFound {
	var out []changeFound
	if c.re == nil {
		return out
	}
	seen := map[string]bool{}
	for _, pr := range f.PullRequests {
		for _, place := range [...]struct{ where, text string }{{"title", pr.Title}, {"body", pr.Body}, {"branch", pr.Branch}} {
			if ref := c.re.FindString(place.text); ref != "" {
				if !seen[ref] {
					seen[ref] = true
					out = append(out, changeFound{key: ref, pr: pr.Number, where: place.where})
				}
				break
			}
		}
	}
	return out
}

// changeRequest requires every change request the deployed PRs reference (at least one)
// to be in an allowed state, approved, and, with within_window, planned around the
// deployment's decision time f.At.
func changeRequest(r *DeploymentRule, f *DeploymentFacts) RequirementResult {
	c := r.ChangeRequest
	q := RequirementResult{Kind: KindChangeRequest, Evidence: []Evidence{}}
	found := changeRefs(c, f)
	if len(found) == 0 {
		refs := make([]string, len(f.PullRequests))
		for i, pr := range f.PullRequests {
			refs[i] = prRef(pr.Number)
		}
		q.Status, q.Reason = StatusFail, "no change request matching "+c.Pattern+" in the deployed pull requests"
		if len(refs) > 0 {
			q.Reason += " " + joinList(refs)
		}
		return q
	}
	worst, worstReason, passes := StatusPass, "", []string{}
	for _, fd := range found {
		snap, ok := f.Tickets[fd.key]
		status, reason, _ := ticketVerdict(snap, ok, fd.key, c.System, c.States, c.Approved)
		if status == StatusPass && c.WithinWindow {
			status, reason = inWindow(snap, fd.key, f.At, reason)
		}
		q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceTicket, Subject: fd.key, Source: prRef(fd.pr) + " " + fd.where,
			Result: snap.Status, Text: reason})
		switch {
		case status == StatusFail && worst != StatusFail:
			worst, worstReason = StatusFail, reason
		case status == StatusPending && worst == StatusPass:
			worst, worstReason = StatusPending, reason
		case status == StatusPass:
			passes = append(passes, reason)
		}
	}
	if worst != StatusPass {
		q.Status, q.Reason = worst, worstReason
		return q
	}
	q.Status, q.Reason = StatusPass, joinList(passes)
	return q
}

// inWindow checks that the deployment time at lies in the planned window (inclusive).
func inWindow(snap TicketSnapshot, key, at, passed string) (Status, string) {
	switch {
	case at == "":
		return StatusFail, "the deployment's decision time is unknown: cannot check " + key + "'s window"
	case snap.PlannedStart == "" || snap.PlannedEnd == "":
		return StatusFail, key + " has no planned start and end"
	case compareTime(at, snap.PlannedStart) < 0 || compareTime(at, snap.PlannedEnd) > 0:
		return StatusFail, "deployment at " + minute(at) + " is outside " + key + "'s window " + minute(snap.PlannedStart) + " to " + minute(snap.PlannedEnd)
	}
	return StatusPass, passed + ", deploying at " + minute(at) + " inside its window " + minute(snap.PlannedStart) + " to " + minute(snap.PlannedEnd)
}
