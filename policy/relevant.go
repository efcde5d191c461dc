package policy

import (
	"slices"
	"strings"
)

// Teams lists, sorted and without repeats, every team (org/slug) the policy names, so
// the facts gatherer asks GitHub only about teams that can change a decision.
func (p *Policy) Teams() []string {
	out := []string{}
	if p == nil {
		return out
	}
	for _, r := range p.Rules {
		if r.Approvals != nil {
			out = append(out, r.Approvals.Teams...)
		}
		if r.Emergency != nil {
			out = append(out, r.Emergency.DeclaredBy.Teams...)
		}
		if r.Rego != nil {
			out = append(out, r.Rego.Teams...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// RelevantUsers lists, sorted, the reviewers whose permission and team membership can
// change the decision: those whose latest verdict is an approval or a change request,
// when some rule with approvals applies to the change. The PR author and bots need no
// lookup (the author never counts; bots count only when listed by name).
func (p *Policy) RelevantUsers(f Facts) []string {
	out := []string{}
	if p == nil {
		return out
	}
	e := evaluator{f: &f}
	needed := false
	for _, r := range p.Rules {
		if r.Approvals != nil || r.Rego != nil { // a module may read any reviewer's teams
			if ok, _ := e.applies(r); ok {
				needed = true
				break
			}
		}
	}
	if !needed {
		return out
	}
	for _, rv := range e.latestReviews() {
		if rv.review.State == reviewDismissed || sameLogin(rv.login, f.PullRequest.Author) || strings.HasSuffix(rv.login, "[bot]") {
			continue
		}
		out = append(out, rv.login)
	}
	// Whoever declared an emergency on the head: their teams and permission decide
	// whether the declaration stands (the author too, for allow_author).
	for _, decl := range f.Emergency {
		if strings.EqualFold(decl.HeadSHA, f.PullRequest.Head.SHA) && decl.By != "" && !slices.Contains(out, decl.By) {
			out = append(out, decl.By)
		}
	}
	slices.Sort(out)
	return out
}
