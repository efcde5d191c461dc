package policy

import (
	"sort"
	"strconv"
)

// KindSharedHead is the requirement that lists the pull requests sharing a head SHA.
const KindSharedHead = "shared_head"

// HeadDecision is the latest decision of one open pull request on a head SHA.
type HeadDecision struct {
	PR   int
	Base string
	// Decision is nil when the pull request has no decision on this head yet: it counts
	// as pending, never as a pass.
	Decision *Decision
}

// severity orders outcomes for SharedHead, worst highest: a pass that comes from no rule
// applying is less assurance than a pass of rules, and "not decided yet" is pending.
func severity(d *Decision) int {
	switch {
	case d == nil || d.Outcome == OutcomePending:
		return 3
	case d.Outcome == OutcomePass && d.NoRuleApplied:
		return 1
	case d.Outcome == OutcomePass:
		return 0
	}
	return 4 // fail, error, anything unknown
}

// SharedHead is the decision shown on a head SHA that several open pull requests share.
// GitHub keeps one check run per name and SHA, and branch protection of each base reads
// that one run, so it must show the worst of the pull requests' decisions: otherwise a PR
// to a branch no rule covers turns the run neutral while a PR to main is pending. The
// worst decision is returned (self's on a tie, so its annotations still apply), with a
// rule that names every pull request on the head and its outcome. With no others, self's
// decision is returned unchanged.
func SharedHead(self HeadDecision, others []HeadDecision) Decision {
	if self.Decision == nil {
		self.Decision = &Decision{Outcome: OutcomePending, Title: "not yet decided", Rules: []RuleResult{}}
	}
	if len(others) == 0 {
		return *self.Decision
	}
	all := append([]HeadDecision{self}, others...)
	sort.SliceStable(all[1:], func(i, j int) bool { return all[1+i].PR < all[1+j].PR })
	worst := all[0]
	for _, h := range all[1:] {
		if severity(h.Decision) > severity(worst.Decision) {
			worst = h
		}
	}
	var out Decision
	if worst.Decision != nil {
		out = *worst.Decision
	} else {
		out = Decision{Outcome: OutcomePending, Title: "#" + strconv.Itoa(worst.PR) + " has no decision on this head yet", Rules: []RuleResult{}}
	}
	out.Rules = append(append([]RuleResult{}, out.Rules...), sharedHeadRule(all, worst, out.Outcome))
	out.Title = out.Title + " (#" + strconv.Itoa(worst.PR) + ", worst of " + strconv.Itoa(len(all)) + " pull requests on this head)"
	return out
}

func sharedHeadRule(all []HeadDecision, worst HeadDecision, outcome Outcome) RuleResult {
	st := StatusPass
	switch outcome {
	case OutcomePending:
		st = StatusPending
	case OutcomePass:
	default:
		st = StatusFail
	}
	ev := make([]Evidence, 0, len(all))
	for _, h := range all {
		text := "#" + strconv.Itoa(h.PR) + " to " + h.Base + ": "
		if h.Decision == nil {
			text += "pending: no decision on this head yet"
		} else {
			text += string(h.Decision.Outcome) + ": " + h.Decision.Title
		}
		ev = append(ev, Evidence{Kind: KindSharedHead, Subject: "#" + strconv.Itoa(h.PR), Text: text})
	}
	reason := "this check run shows the worst decision of the " + strconv.Itoa(len(all)) +
		" open pull requests with this head SHA: #" + strconv.Itoa(worst.PR)
	return RuleResult{Name: "pull requests sharing this head", Status: st, Reason: reason,
		Requirements: []RequirementResult{{Kind: KindSharedHead, Status: st, Reason: reason, Evidence: ev}}}
}
