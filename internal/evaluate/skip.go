package evaluate

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/policy"
)

// Reasons an event is skipped without a GitHub request, the `reason` label of
// foureyes_webhook_events_skipped_total.
const (
	SkipCheckNotRequired = "check_not_required"    // no rule of the base policy requires it, the last decision did not list it
	SkipOwnCheck         = "own_check"             // foureyes' own check run or suite
	SkipSuiteNoPending   = "suite_nothing_pending" // a suite completed and every required check already reported
	SkipEditUnread       = "edit_not_read"         // an edit of a title or body no ticket rule reads
	SkipReviewEdited     = "review_body_edited"    // a review's text changed, never its state
	SkipCheckNotHead     = "check_not_on_head"     // about a commit that is no longer the PR's head
)

// Skipping is safe because it is conservative and bounded in time:
//   - it needs a memory of the PR's last decision (head SHA, base branch, what the base
//     policy reads, the checks the decision listed). With none, or an expired one, the
//     event is evaluated;
//   - "what the policy reads" covers every rule, applicable or not; a change that could
//     make another rule apply (a push, a new base) is always evaluated and refreshes the
//     memory;
//   - a policy change on the base branch arrives as a push, whose fan-out re-evaluates the
//     open PRs and refreshes the memory; if that push webhook was missed, the memory
//     expires after memoryTTL, and the sweeper re-evaluates PRs whose check run is stale;
//   - a missed webhook about a required check is not made worse: skipping only ever
//     concerns events that no rule reads.

// memoryTTL bounds how long the memory of a decision is trusted for skipping.
const memoryTTL = 10 * time.Minute

// memorySize bounds the number of pull requests remembered.
const memorySize = 20000

// remembered is what the last decision of a pull request rested on.
type remembered struct {
	head, base string
	reads      policy.Reads
	listed     map[string]string // check name -> result shown
}

func (e *Evaluator) memo() *expirable.LRU[string, remembered] {
	e.memoOnce.Do(func() { e.memory = expirable.NewLRU[string, remembered](memorySize, nil, memoryTTL) })
	return e.memory
}

func memoKey(repo string, number int) string { return fmt.Sprintf("%s#%d", repo, number) }

// remember keeps what a decision rested on; a decision without a parsed policy (a broken
// one) is forgotten, so every event about that PR is evaluated.
func (e *Evaluator) remember(t Target, pr *github.PullRequest, d decided) {
	k := memoKey(t.Owner+"/"+t.Repo, t.Number)
	if d.reads == nil {
		e.memo().Remove(k)
		return
	}
	e.memo().Add(k, remembered{head: pr.GetHead().GetSHA(), base: pr.GetBase().GetRef(), reads: *d.reads, listed: d.Decision.ListedChecks()})
}

// Forget drops the memory of a pull request: its next event is evaluated in full.
func (e *Evaluator) Forget(repo string, number int) { e.memo().Remove(memoKey(repo, number)) }

// SkipCheck says why a completed check run or a status named name on sha cannot change
// the decision of repo#number, or "" when it may (or foureyes does not know).
func (e *Evaluator) SkipCheck(repo string, number int, sha, name string) string {
	m, ok := e.memo().Get(memoKey(repo, number))
	if !ok {
		return ""
	}
	if m.head != sha {
		return "" // a push foureyes has not seen yet may have made sha the head
	}
	if _, listed := m.listed[name]; listed || m.reads.RequiresCheck(name) {
		return ""
	}
	return SkipCheckNotRequired
}

// SkipSuite says why a completed check suite on sha cannot change the decision: its runs
// each sent their own check_run event, and no required check is still waiting for one.
func (e *Evaluator) SkipSuite(repo string, number int, sha string) string {
	m, ok := e.memo().Get(memoKey(repo, number))
	if !ok || m.head != sha {
		return ""
	}
	for _, name := range m.reads.Checks {
		switch m.listed[name] {
		case "", "absent", "pending", "queued", "in_progress", "waiting", "requested":
			return ""
		}
	}
	return SkipSuiteNoPending
}

// SkipEdit says why a pull_request edited event cannot change the decision: the base did
// not change, and no ticket rule reads what did.
func (e *Evaluator) SkipEdit(repo string, number int, title, body, base bool) string {
	m, ok := e.memo().Get(memoKey(repo, number))
	if !ok || base || !title && !body {
		return "" // an edit that names nothing foureyes knows is evaluated, to be safe
	}
	if title && m.reads.Title || body && m.reads.Body {
		return ""
	}
	return SkipEditUnread
}

// Skipped counts and logs an event that costs no evaluation, with why.
func (e *Evaluator) Skipped(ctx context.Context, event, reason string) {
	if e.Metrics != nil {
		e.Metrics.SkippedEvents.WithLabelValues(event, reason).Inc()
	}
	zerolog.Ctx(ctx).Info().Str("event", event).Str("skip_reason", reason).Msg("event skipped: it cannot change the decision")
}
