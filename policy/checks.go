package policy

import (
	"sort"
	"strconv"
	"strings"
)

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

// postedBy reports whether c was posted by app: check runs by app slug, statuses only by
// the app's bot account "<slug>[bot]". A status whose creator is a user whose login equals
// the slug is not the app: anyone can register such a login.
func postedBy(c *Check, app string) bool {
	if c.Source == "status" {
		return strings.EqualFold(c.Creator, app+"[bot]")
	}
	return c.App == app
}

// sourceKey identifies who reported a result: results of one name from different sources
// are judged separately, so a later result from one source never hides another's failure.
func sourceKey(c *Check) string {
	if c.Source == "status" {
		return "status\x00" + strings.ToLower(c.Creator)
	}
	return "check_run\x00" + strconv.FormatInt(c.AppID, 10) + "\x00" + c.App
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

// evalChecks evaluates required checks against the results on sha. For each required
// name, the latest result of each source (an app's check runs, one creator's statuses;
// only the pinned app's, if any) counts, and every source must pass: a failure from any
// source fails, a source still running keeps it pending. A later result from another
// source (a status the PR author posts) cannot mask a failed check.
func evalChecks(reqs []CheckReq, checks []Check, sha string) RequirementResult {
	q := RequirementResult{Kind: KindChecks, Evidence: make([]Evidence, 0, len(reqs))}
	var failed, pending, passed []string
	for _, req := range reqs {
		latest := map[string]*Check{}
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
			k := sourceKey(c)
			if prev := latest[k]; prev == nil || later(c, prev) {
				latest[k] = c
			}
		}
		if len(latest) == 0 {
			pending = append(pending, req.Name)
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceCheck, Subject: req.Name, SHA: sha, Source: req.App,
				Result: "absent", Text: req.Name + " has not reported on " + short(sha)})
			continue
		}
		keys := make([]string, 0, len(latest))
		for k := range latest {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		worst, worstRes := StatusPass, ""
		for _, k := range keys {
			c := latest[k]
			res := resultText(c)
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceCheck, Subject: req.Name, SHA: sha, Source: sourceOf(c),
				Result: res, Text: req.Name + ": " + res + " (" + kindOf(c) + " by " + orUnknown(sourceOf(c)) + ")"})
			switch st := checkResult(c); {
			case st == StatusFail && worst != StatusFail:
				worst, worstRes = StatusFail, res
			case st == StatusPending && worst == StatusPass:
				worst = StatusPending
			}
		}
		switch worst {
		case StatusPass:
			passed = append(passed, req.Name)
		case StatusFail:
			failed = append(failed, req.Name+" "+worstRes)
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
