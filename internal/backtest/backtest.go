package backtest

import (
	"slices"
	"time"

	"github.com/foureyes/foureyes/policy"
)

// Sources of a change's facts.
const (
	SourceAudit  = "audit"  // the facts recorded with the last decision on the merged head
	SourceGitHub = "github" // gathered from GitHub now (merged before foureyes was installed)
)

// Change is one merged pull request and the facts it is judged by.
type Change struct {
	Repo     string
	PR       int
	HeadSHA  string
	MergedAt time.Time
	Source   string
	// Recorded is the outcome foureyes recorded for the merged head ("" for changes from
	// GitHub, "none" when it never decided).
	Recorded string
	Facts    *policy.Facts // nil when there are none
	NoFacts  string        // why Facts is nil
}

// Result is a change and the candidate policy's decision on it.
type Result struct {
	Change
	Decision policy.Decision // zero when the change has no facts
}

// Report is the backtest of a period.
type Report struct {
	Repo                   string
	Since, Until           time.Time
	PolicyDigest           string
	Results                []Result // in merge order
	Passed, Failed, Pended int
	NoFacts                int
	// Changed counts changes whose candidate outcome differs from the recorded one.
	Changed int
	// Incomplete says what was not evaluated (for example GitHub's rate limit), "" when
	// the period is complete.
	Incomplete string
}

// Run judges every change under p. Changes are sorted by merge time.
func Run(p *policy.Policy, repo string, since, until time.Time, changes []Change, incomplete string) Report {
	r := Report{Repo: repo, Since: since, Until: until, PolicyDigest: p.Digest(), Incomplete: incomplete}
	slices.SortStableFunc(changes, func(a, b Change) int { return a.MergedAt.Compare(b.MergedAt) })
	for _, c := range changes {
		res := Result{Change: c}
		if c.Facts == nil {
			r.NoFacts++
			r.Results = append(r.Results, res)
			continue
		}
		res.Decision = policy.Evaluate(p, *c.Facts)
		switch res.Decision.Outcome {
		case policy.OutcomePass:
			r.Passed++
		case policy.OutcomePending:
			r.Pended++
		default:
			r.Failed++
		}
		if c.Recorded != "" && c.Recorded != string(res.Decision.Outcome) {
			r.Changed++
		}
		r.Results = append(r.Results, res)
	}
	return r
}

// WouldBlock is how many merged changes the candidate policy would not have let through
// (failed or still pending).
func (r Report) WouldBlock() int { return r.Failed + r.Pended }
