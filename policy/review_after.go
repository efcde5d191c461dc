package policy

import "slices"

// ReviewResult is the post-implementation review (PIR) of an emergency change: the
// independent review the emergency postponed, given after the merge.
type ReviewResult struct {
	// Closed says the obligation is met: every rule whose approval the emergency waived
	// now has an approval that would have counted.
	Closed bool `json:"closed"`
	// Reviewers are the independent approvers found, sorted.
	Reviewers []string     `json:"reviewers"`
	SHA       string       `json:"sha"`
	Reason    string       `json:"reason"`
	Rules     []RuleResult `json:"rules"`
}

// JSON encodes the result deterministically for the audit log.
func (r ReviewResult) JSON() []byte { return marshal(r) }

// ReviewAfterEmergency judges the review after an emergency merge. waived names the rules
// whose approval the declaration waived (from the decision at merge). One approval by
// someone who would have counted as an independent approver of a rule (its from,
// independent_of and on_head) closes that rule's part, whatever its count: the review
// confirms the change, it does not re-run the four-eyes count. Pure, like Evaluate.
func ReviewAfterEmergency(p *Policy, f Facts, waived []string) ReviewResult {
	res := ReviewResult{SHA: f.PullRequest.Head.SHA, Reviewers: []string{}, Rules: []RuleResult{}}
	if p == nil || len(waived) == 0 {
		res.Reason = "no rule's approval was waived: there is nothing to review"
		return res
	}
	e := evaluator{f: &f}
	res.Closed = true
	for _, r := range p.Rules {
		if r.Approvals == nil || !slices.Contains(waived, r.Name) {
			continue
		}
		one := *r.Approvals
		one.Count = 1
		q := e.approvals(&one)
		rr := RuleResult{Name: r.Name, Origin: r.Origin, Status: q.Status, Reason: q.Reason, Requirements: []RequirementResult{q}}
		res.Rules = append(res.Rules, rr)
		if q.Status != StatusPass {
			if res.Closed {
				res.Reason = "rule \"" + r.Name + "\": " + q.Reason
			}
			res.Closed = false
			continue
		}
		for _, ev := range q.Evidence {
			if ev.Kind == EvidenceApproval && !slices.Contains(res.Reviewers, ev.Subject) {
				res.Reviewers = append(res.Reviewers, ev.Subject)
			}
		}
	}
	if len(res.Rules) == 0 {
		res.Closed, res.Reason = false, "none of the waived rules ("+joinList(waived)+") is in the policy any more: review by hand"
		return res
	}
	slices.Sort(res.Reviewers)
	if res.Closed {
		res.Reason = "independently reviewed after the fact by " + joinList(res.Reviewers)
	}
	return res
}
