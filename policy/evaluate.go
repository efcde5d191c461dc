package policy

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Evaluate applies the policy to the facts of one pull request. It is pure: the same
// policy and facts always give the same Decision, byte for byte. A nil policy (no
// policy file anywhere) has no rules, so the change passes with "no rule applies".
func Evaluate(p *Policy, f Facts) Decision {
	var rules []*Rule
	if p != nil {
		rules = p.Rules
	}
	e := evaluator{f: &f}
	e.judgeDeclarations(rules)
	d := Decision{Outcome: OutcomePass, PolicyDigest: p.Digest(), Rules: make([]RuleResult, 0, len(rules))}
	applied := 0
	for _, r := range rules {
		rr := e.rule(r)
		if rr.Status != StatusSkipped {
			applied++
		}
		d.Rules = append(d.Rules, rr)
	}
	d.Outcome, d.Title = summarize(d.Rules, applied)
	d.NoRuleApplied = applied == 0
	d.Emergency = e.emergency.result
	if a := e.emergency.active; a != nil && d.Outcome == OutcomePass {
		// Say first what an auditor will ask about: this passed without its review.
		d.Title = a.Sentence()
	}
	return d
}

// summarize picks the outcome (fail over pending over pass) and a title that says what
// is most needed: the first failing requirement, else the first pending one.
func summarize(rules []RuleResult, applied int) (Outcome, string) {
	var firstFail, firstPending string
	fails, pendings := 0, 0
	for i := range rules {
		for _, q := range rules[i].Requirements {
			if q.Kind == KindDraft && (fails > 0 || pendings > 0) {
				continue // every applicable rule repeats "draft": count it once
			}
			switch q.Status {
			case StatusFail:
				if fails == 0 {
					firstFail = q.Reason
				}
				fails++
			case StatusPending:
				if pendings == 0 {
					firstPending = q.Reason
				}
				pendings++
			}
		}
	}
	switch {
	case fails > 0:
		return OutcomeFail, withMore(firstFail, fails+pendings-1)
	case pendings > 0:
		return OutcomePending, withMore(firstPending, pendings-1)
	case applied == 0:
		return OutcomePass, "no rule applies to this change"
	case applied == 1:
		return OutcomePass, "1 rule passes"
	}
	return OutcomePass, itoa(applied) + " rules pass"
}

func withMore(s string, more int) string {
	switch more {
	case 0:
		return s
	case 1:
		return s + " (and 1 more)"
	}
	return s + " (and " + itoa(more) + " more)"
}

// evaluator holds per-evaluation state shared by the rules: the latest review of each
// reviewer is computed once however many rules ask about approvals.
type evaluator struct {
	f         *Facts
	reviewers []reviewer
	reviewed  bool
	emergency emergencyState
	regoIn    ast.Value // the facts as OPA input, built by the first rego requirement
	regoErr   error
	// regoFields are top-level input fields converted for modules that read only some.
	regoFields map[string]*ast.Term
}

func (e *evaluator) rule(r *Rule) RuleResult {
	rr := RuleResult{Name: r.Name, Origin: r.Origin}
	if ok, why := e.applies(r); !ok {
		rr.Status, rr.Reason, rr.Requirements = StatusSkipped, why, []RequirementResult{}
		return rr
	}
	n := 0
	if e.f.PullRequest.Draft {
		n++
	}
	if r.Approvals != nil {
		n++
	}
	if len(r.Checks) > 0 {
		n++
	}
	if r.Ticket != nil {
		n++
	}
	if r.Rego != nil {
		n++
	}
	rr.Requirements = make([]RequirementResult, 0, n)
	if e.f.PullRequest.Draft {
		rr.Requirements = append(rr.Requirements, RequirementResult{Kind: KindDraft, Status: StatusPending,
			Reason: "pull request is a draft", Evidence: []Evidence{}})
	}
	if r.Approvals != nil {
		if q, ok := e.waived(r, KindApprovals); ok {
			rr.Requirements = append(rr.Requirements, q)
		} else {
			rr.Requirements = append(rr.Requirements, e.approvals(r.Approvals))
		}
	}
	if len(r.Checks) > 0 {
		if q, ok := e.waived(r, KindChecks); ok {
			rr.Requirements = append(rr.Requirements, q)
		} else {
			rr.Requirements = append(rr.Requirements, evalChecks(r.Checks, e.f.Checks, e.f.PullRequest.Head.SHA))
		}
	}
	if r.Ticket != nil {
		if q, ok := e.waived(r, KindTicket); ok {
			rr.Requirements = append(rr.Requirements, q)
		} else {
			rr.Requirements = append(rr.Requirements, e.ticket(r.Ticket))
		}
	}
	if r.Rego != nil {
		rr.Requirements = append(rr.Requirements, e.rego(r.Rego))
	}
	rr.Status, rr.Reason = StatusPass, "all requirements met"
	for _, want := range [...]Status{StatusFail, StatusPending} {
		for _, q := range rr.Requirements {
			if q.Status == want {
				rr.Status, rr.Reason = want, q.Reason
				return rr
			}
		}
	}
	return rr
}

// applies says whether a rule covers this change and, when not, why.
func (e *evaluator) applies(r *Rule) (bool, string) {
	base := e.f.PullRequest.Base.Ref
	if !matchAny(r.Branches, base) {
		return false, "base branch " + base + " does not match " + joinPatterns(r.Branches)
	}
	if len(r.Paths) == 0 && len(r.IgnorePaths) == 0 {
		return true, ""
	}
	for _, file := range e.f.ChangedFiles {
		if (len(r.Paths) == 0 || matchAny(r.Paths, file)) && !matchAny(r.IgnorePaths, file) {
			return true, ""
		}
	}
	if e.f.Truncated != nil && e.f.Truncated.Files {
		// An unseen file might match: apply the rule rather than let it slip.
		return true, ""
	}
	if len(r.IgnorePaths) > 0 {
		return false, "no changed file matches paths outside ignore_paths"
	}
	return false, "no changed file matches " + joinPatterns(r.Paths)
}

func joinPatterns(gs []Glob) string {
	if len(gs) == 1 {
		return gs[0].Pattern
	}
	return strings.Join(patterns(gs), ", ")
}
