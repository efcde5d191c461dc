package evaluate

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/errgroup"

	"github.com/foureyes/foureyes/policy"
)

// Webhook-derived state. The evaluator keeps, per open pull request, what its last
// evaluation read from GitHub (the PR, its reviews, the check results of its head) and the
// webhook payloads that arrived since (a check completed, a review submitted, the PR
// edited or pushed). The next evaluation applies those to the last read instead of
// reading again: an event that changes one check costs no GitHub request.
//
// This state is only ever trusted for a decision that is not green. Before a success (or
// neutral) is written, everything it rests on (PR head, reviews, check results) is read
// again from GitHub and the decision is taken anew from that read (see confirm in
// evaluate.go). Wrong derived state can therefore delay a green, never grant one.
//
// The state is bounded (stateSize pull requests, least recently used out) and expires
// (stateTTL): a replica that missed deliveries handled by another one reads afresh at the
// latest after stateTTL. Background evaluations (sweeper, policy fan-out) never use it.

const (
	stateTTL  = 10 * time.Minute
	stateSize = 4096
	// maxDeltas bounds the payloads kept for one PR; past it the state is dropped and the
	// next evaluation reads everything.
	maxDeltas = 256
)

// prState is one pull request's last read plus the payloads seen since.
type prState struct {
	mu      sync.Mutex
	pr      *github.PullRequest // last read or the latest pull_request payload; nil: unknown
	reviews *[]policy.Review    // nil: not known, read
	checks  *[]policy.Check     // of pr's head; nil: not known, read
	deltas  []delta
	broken  bool // too many deltas: read everything
}

// delta is one webhook payload's effect.
type delta struct {
	pr     *github.PullRequest
	opened bool // pr comes from an "opened" event: the PR has just been created
	review *policy.Review
	check  *policy.Check
	sha    string // the check's commit
}

func (e *Evaluator) states() *expirable.LRU[string, *prState] {
	e.stateOnce.Do(func() { e.stateLRU = expirable.NewLRU[string, *prState](stateSize, nil, stateTTL) })
	return e.stateLRU
}

// observe records a payload for repo#number when an evaluation has read it before (or
// is reading it now); otherwise the next evaluation reads everything anyway.
func (e *Evaluator) observe(repo string, number int, d delta, create bool) {
	k := memoKey(repo, number)
	s, ok := e.states().Get(k)
	if !ok {
		if !create {
			return
		}
		s = &prState{}
		e.states().Add(k, s)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.deltas) >= maxDeltas {
		s.broken = true
		return
	}
	s.deltas = append(s.deltas, d)
}

// ObservePR records a pull_request payload: the PR as it is now.
func (e *Evaluator) ObservePR(repo string, pr *github.PullRequest) {
	if pr == nil || pr.GetNumber() == 0 {
		return
	}
	e.observe(repo, pr.GetNumber(), delta{pr: pr}, true)
}

// ObserveOpened records the payload of a PR just opened: it has no reviews yet (GitHub
// cannot review a PR before it exists), so its first evaluation does not read them; a
// review whose webhook is handled before or meanwhile is kept (ObserveReview) and applied.
func (e *Evaluator) ObserveOpened(repo string, pr *github.PullRequest) {
	if pr == nil || pr.GetNumber() == 0 {
		return
	}
	e.observe(repo, pr.GetNumber(), delta{pr: pr, opened: true}, true)
}

// ObserveReview records a submitted or dismissed review.
func (e *Evaluator) ObserveReview(repo string, number int, r policy.Review) {
	e.observe(repo, number, delta{review: &r}, true)
}

// ObserveCheck records a completed check run or a status on sha.
func (e *Evaluator) ObserveCheck(repo string, number int, sha string, c policy.Check) {
	e.observe(repo, number, delta{check: &c, sha: sha}, false)
}

// known is what an evaluation may use instead of reading.
type known struct {
	pr      *github.PullRequest
	reviews *[]policy.Review
	checks  *[]policy.Check
	seen    int // deltas applied: those after it arrived during the evaluation
	// confirmed marks what a confirming read returned: read from GitHub in this
	// evaluation, so its pass reads whatever else it needs (users included).
	confirmed bool
}

// derived returns the last read with every payload since applied. fresh asks for
// nothing derived (background work).
func (e *Evaluator) derived(repo string, number int, fresh bool) known {
	fresh = fresh || e.Fleet
	k := memoKey(repo, number)
	s, ok := e.states().Get(k)
	if !ok {
		s = &prState{}
		e.states().Add(k, s) // payloads arriving during this evaluation are kept
		return known{}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if fresh || s.broken {
		return known{seen: len(s.deltas)}
	}
	kn := known{pr: s.pr, seen: len(s.deltas)}
	var reviews []policy.Review
	var checks []policy.Check
	if s.reviews != nil {
		reviews = append(reviews, (*s.reviews)...)
		kn.reviews = &reviews
	} else {
		for _, d := range s.deltas {
			if d.opened {
				reviews = []policy.Review{} // just opened: none but those seen since
				kn.reviews = &reviews
				break
			}
		}
	}
	if s.checks != nil {
		checks = append(checks, (*s.checks)...)
		kn.checks = &checks
	}
	for _, d := range s.deltas {
		kn.apply(d)
	}
	return kn
}

func (kn *known) apply(d delta) {
	switch {
	case d.pr != nil:
		if kn.pr != nil && kn.pr.GetHead().GetSHA() != d.pr.GetHead().GetSHA() {
			kn.checks = nil // a new head: its checks are read
		}
		kn.pr = d.pr
	case d.review != nil && kn.reviews != nil:
		rs := *kn.reviews
		replaced := false
		for i := range rs {
			if rs[i].ID == d.review.ID {
				rs[i], replaced = *d.review, true
			}
		}
		if !replaced {
			rs = append(rs, *d.review)
		}
		*kn.reviews = rs
	case d.check != nil && kn.checks != nil && kn.pr != nil && d.sha == kn.pr.GetHead().GetSHA():
		cs := (*kn.checks)[:0:0]
		for _, c := range *kn.checks {
			sameRun := c.Source == d.check.Source && c.ID == d.check.ID
			// GitHub lists the latest run of each name and app: a re-run replaces the old.
			rerun := c.Source == "check_run" && d.check.Source == "check_run" && c.Name == d.check.Name && c.AppID == d.check.AppID
			if !sameRun && !rerun {
				cs = append(cs, c)
			}
		}
		cs = append(cs, *d.check)
		*kn.checks = cs
	}
}

// store keeps what an evaluation used as the new last read; the payloads that arrived
// while it ran (after kn.seen) stay, to be applied on top by the next one.
func (e *Evaluator) storeState(repo string, number int, kn known, pr *github.PullRequest, f *policy.Facts) {
	k := memoKey(repo, number)
	s, ok := e.states().Get(k)
	if !ok {
		s = &prState{}
		e.states().Add(k, s)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.broken || kn.seen > len(s.deltas) {
		*s = prState{}
		return
	}
	s.deltas = append([]delta(nil), s.deltas[kn.seen:]...)
	s.pr = pr
	if f == nil {
		s.reviews, s.checks = nil, nil
		return
	}
	reviews := append([]policy.Review{}, f.Reviews...)
	checks := append([]policy.Check{}, f.Checks...)
	s.reviews, s.checks = &reviews, &checks
}

// ForgetState drops a PR's webhook-derived state: its next evaluation reads everything.
func (e *Evaluator) ForgetState(repo string, number int) { e.forgetState(repo, number) }

// forgetState drops a PR's derived state (closed, or evaluated with an error).
func (e *Evaluator) forgetState(repo string, number int) {
	e.states().Remove(memoKey(repo, number))
}

// derivedAny says whether anything this evaluation used was not read from GitHub in it.
func (kn known) derivedAny() bool { return kn.pr != nil || kn.reviews != nil || kn.checks != nil }

// confirmation is what a confirming evaluation may reuse: only what the first pass read
// from GitHub itself (f holds those reads); everything derived is read again.
func (kn known) confirmation(f *policy.Facts) *known {
	c := &known{confirmed: true}
	if f == nil {
		return c
	}
	if kn.reviews == nil {
		c.reviews = &f.Reviews
	}
	if kn.checks == nil {
		c.checks = &f.Checks
	}
	return c
}

// green says whether a decision lets the change through (success, or neutral when no
// rule applied): what must never rest on webhook-derived state alone.
func green(d decided) bool {
	return d.output.Conclusion == "success" || d.output.Conclusion == "neutral"
}

// getPR reads the pull request.
func (e *Evaluator) getPR(ctx context.Context, client *github.Client, t Target) (*github.PullRequest, error) {
	pr, _, err := client.PullRequests.Get(ctx, t.Owner, t.Repo, t.Number)
	if err != nil {
		return nil, fmt.Errorf("get pull request %s/%s#%d: %w", t.Owner, t.Repo, t.Number, err)
	}
	return pr, nil
}

// confirm reads again, at once, what a green first pass took from webhooks: the PR, and
// the reviews and check results of its head unless the first pass read them itself (f).
// It returns the PR as GitHub has it and what the confirming pass may use. users are
// those whose permission the first pass did not have: the GraphQL read looks them up in
// the same request (confirm_graphql.go); through REST the confirming pass reads them.
func (e *Evaluator) confirm(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest, kn known, f *policy.Facts, users []string) (*github.PullRequest, *known, error) {
	conf := kn.confirmation(f)
	if fresh, c, ok, err := e.confirmGraphQL(ctx, client, t, pr, conf, users); ok || err != nil {
		return fresh, c, err
	}
	var fresh *github.PullRequest
	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		var err error
		fresh, err = e.getPR(gctx, client, t)
		return err
	})
	grp.Go(func() error { return e.readUnknown(gctx, client, t, pr.GetHead().GetSHA(), conf) })
	if err := grp.Wait(); err != nil {
		return nil, nil, err
	}
	return fresh, conf, nil
}

// readUnknown reads from REST, at once, what c does not hold yet: the PR's reviews and the
// check results of head.
func (e *Evaluator) readUnknown(ctx context.Context, client *github.Client, t Target, head string, c *known) error {
	grp, gctx := errgroup.WithContext(ctx)
	if c.reviews == nil {
		grp.Go(func() error {
			rs, _, err := e.Gatherer.Reviews(gctx, client, t.Owner, t.Repo, t.Number)
			c.reviews = &rs
			return err
		})
	}
	if c.checks == nil {
		grp.Go(func() error {
			cs, _, err := e.Gatherer.CheckResults(gctx, client, t.Owner, t.Repo, head)
			c.checks = &cs
			return err
		})
	}
	return grp.Wait()
}
