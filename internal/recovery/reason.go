package recovery

import (
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// Reason says why the sweeper re-evaluates a pull request. Evaluate may use it, e.g. to
// write the check run even when the decision is unchanged (ReasonNearStale).
type Reason string

const (
	// ReasonMissing: no foureyes check run on the current head (a missed opened or
	// synchronize, or a crash before the first write).
	ReasonMissing Reason = "missing"
	// ReasonInProgress: the run is queued or in progress for longer than InProgressLimit (an
	// evaluation that died half-way).
	ReasonInProgress Reason = "in_progress_too_long"
	// ReasonBehindEvent: the store saw an event for the PR after the run was last written (a
	// review or check that arrived and was never evaluated).
	ReasonBehindEvent Reason = "event_after_run"
	// ReasonUpdatedOnGitHub: GitHub's updated_at of the PR is after the run was last
	// written: something happened (a review, an edit) whose webhook never reached the store,
	// e.g. a PR approved while the server was down for longer than GitHub keeps deliveries.
	ReasonUpdatedOnGitHub Reason = "updated_on_github"
	// ReasonNearStale: an incomplete run close to GitHub's 14 days, after which GitHub marks
	// it stale and the PR shows a dead check.
	ReasonNearStale Reason = "near_stale"
)

// SweepLimits are the ages at which a check run counts as stuck or near staleness.
type SweepLimits struct {
	InProgressLimit time.Duration
	StaleAfter      time.Duration
}

// reevaluateReason compares foureyes' own run on the head with what the store knows of the
// PR and with GitHub's updated_at of the PR (zero when unknown). run == nil means there is
// none; pr == nil means the store does not know the PR. It returns "" when the run is
// current.
//
// The last two rules assume the evaluator refreshes the run's UpdatedAt in the store on every
// evaluation, also when it skips an unchanged write to GitHub; otherwise such a PR is
// re-evaluated on every sweep (bounded by MaxEvaluations, and harmless, but wasted).
func reevaluateReason(run *store.CheckRun, pr *store.PR, updatedOnGitHub, now time.Time, l SweepLimits) Reason {
	if run == nil {
		return ReasonMissing
	}
	age := now.Sub(run.UpdatedAt)
	if run.Status != "completed" {
		if age >= l.StaleAfter {
			return ReasonNearStale
		}
		if age >= l.InProgressLimit {
			return ReasonInProgress
		}
	}
	if pr != nil && pr.LastEventAt.After(run.UpdatedAt) {
		return ReasonBehindEvent
	}
	if updatedOnGitHub.After(run.UpdatedAt) {
		return ReasonUpdatedOnGitHub
	}
	return ""
}
