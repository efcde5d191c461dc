package policy

import "slices"

// Reads is what a policy can read of a pull request, as far as a webhook can tell: the
// server skips an event that touches none of it (a check no rule requires, an edit of a
// title no ticket rule looks at) without a single GitHub request. It is derived from the
// parsed policy alone, over every rule whether or not it applies now, so a change that
// makes a rule apply (a new base, new files) is itself an event that is evaluated.
type Reads struct {
	// Checks are the names of every check run or status context any rule requires,
	// sorted, without repeats.
	Checks []string `json:"checks"`
	// Title, Body, Branch and Commits say where some ticket rule looks for a reference.
	Title   bool `json:"title,omitempty"`
	Body    bool `json:"body,omitempty"`
	Branch  bool `json:"branch,omitempty"`
	Commits bool `json:"commits,omitempty"`
	// Files: some rule is limited to paths, so the changed files decide whether it applies.
	Files bool `json:"files,omitempty"`
}

// Reads lists what p can read (see Reads). A nil policy reads nothing.
func (p *Policy) Reads() Reads {
	r := Reads{Checks: []string{}}
	if p == nil {
		return r
	}
	for _, rule := range p.Rules {
		for _, c := range rule.Checks {
			r.Checks = append(r.Checks, c.Name)
		}
		if len(rule.Paths) > 0 || len(rule.IgnorePaths) > 0 {
			r.Files = true
		}
		if rule.Ticket != nil {
			for _, in := range rule.Ticket.In {
				switch in {
				case "title":
					r.Title = true
				case "body":
					r.Body = true
				case "branch":
					r.Branch = true
				case "commits":
					r.Commits = true
				}
			}
		}
	}
	slices.Sort(r.Checks)
	r.Checks = slices.Compact(r.Checks)
	return r
}

// RequiresCheck reports whether some rule requires a check of that name.
func (r Reads) RequiresCheck(name string) bool {
	_, ok := slices.BinarySearch(r.Checks, name)
	return ok
}

// ListedChecks names the checks a decision shows as evidence, each with its result
// ("absent", "pending", "success", ...): an event about one of them may change what the
// check run says even when the current policy no longer requires it.
func (d Decision) ListedChecks() map[string]string {
	out := map[string]string{}
	for _, rule := range d.Rules {
		for _, q := range rule.Requirements {
			for _, ev := range q.Evidence {
				if ev.Kind == EvidenceCheck && ev.Result != "ignored" {
					out[ev.Subject] = ev.Result
				}
			}
		}
	}
	return out
}
