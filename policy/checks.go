package policy

// Check-run conclusions and status states, grouped by effect. Anything completed that
// is not known to satisfy a requirement fails it: an unknown conclusion must not pass.
func checkResult(c *Check) Status {
	if c.Source == "status" {
		switch c.State {
		case "success":
			return StatusPass
		case "pending", "":
			return StatusPending
		}
		return StatusFail // failure, error
	}
	if c.Status != "completed" {
		return StatusPending // queued, in_progress, waiting, requested
	}
	switch c.Conclusion {
	case "success", "neutral", "skipped":
		return StatusPass
	case "":
		return StatusPending
	}
	return StatusFail // failure, cancelled, timed_out, action_required, stale
}

// postedBy reports whether c was posted by app: check runs by app slug, statuses by
// their creator (an app posts statuses as "<slug>[bot]").
func postedBy(c *Check, app string) bool {
	if c.Source == "status" {
		return c.Creator == app || (len(c.Creator) == len(app)+5 && c.Creator[:len(app)] == app && c.Creator[len(app):] == "[bot]")
	}
	return c.App == app
}

func sourceOf(c *Check) string {
	if c.Source == "status" {
		return c.Creator
	}
	return c.App
}

func kindOf(c *Check) string {
	if c.Source == "status" {
		return "status"
	}
	return "check run"
}

func resultText(c *Check) string {
	if c.Source == "status" {
		if c.State == "" {
			return "pending"
		}
		return c.State
	}
	if c.Status != "completed" || c.Conclusion == "" {
		if c.Status == "" {
			return "pending"
		}
		return c.Status
	}
	return c.Conclusion
}

// later reports whether a is more recent than b: greatest updated_at, then greatest id.
func later(a, b *Check) bool {
	if c := compareTime(a.UpdatedAt, b.UpdatedAt); c != 0 {
		return c > 0
	}
	return a.ID > b.ID
}

// evalChecks evaluates required checks against the results on sha: for each, the
// latest result with that name (from the pinned app, if any) decides.
func evalChecks(reqs []CheckReq, checks []Check, sha string) RequirementResult {
	q := RequirementResult{Kind: KindChecks, Evidence: make([]Evidence, 0, len(reqs))}
	var failed, pending, passed []string
	for _, req := range reqs {
		var latest *Check
		for i := range checks {
			c := &checks[i]
			if c.Name != req.Name {
				continue
			}
			if req.App != "" && !postedBy(c, req.App) {
				q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceCheck, Subject: c.Name, SHA: sha, Source: sourceOf(c),
					Result: "ignored", Text: c.Name + " from " + orUnknown(sourceOf(c)) + " ignored: must come from " + req.App})
				continue
			}
			if latest == nil || later(c, latest) {
				latest = c
			}
		}
		if latest == nil {
			pending = append(pending, req.Name)
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceCheck, Subject: req.Name, SHA: sha, Source: req.App,
				Result: "absent", Text: req.Name + " has not reported on " + short(sha)})
			continue
		}
		res := resultText(latest)
		q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceCheck, Subject: req.Name, SHA: sha, Source: sourceOf(latest),
			Result: res, Text: req.Name + ": " + res + " (" + kindOf(latest) + " by " + orUnknown(sourceOf(latest)) + ")"})
		switch checkResult(latest) {
		case StatusPass:
			passed = append(passed, req.Name)
		case StatusFail:
			failed = append(failed, req.Name+" "+res)
		default:
			pending = append(pending, req.Name)
		}
	}
	switch {
	case len(failed) > 0:
		q.Status, q.Reason = StatusFail, "check "+joinList(failed)
	case len(pending) > 0:
		q.Status, q.Reason = StatusPending, "waiting for "+joinList(pending)
	default:
		q.Status, q.Reason = StatusPass, joinList(passed)+" passed"
	}
	return q
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
