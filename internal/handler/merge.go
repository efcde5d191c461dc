package handler

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
)

// mergeDetails is the evidence of a merge record: what was merged, by whom, and which
// decision stood at that moment.
type mergeDetails struct {
	HeadSHA        string `json:"head_sha"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	BaseRef        string `json:"base_ref"`
	MergedBy       string `json:"merged_by"`
	MergedAt       string `json:"merged_at"`
	DecisionSeq    int64  `json:"decision_seq,omitempty"`
	DecisionSHA    string `json:"decision_sha,omitempty"`
	Violation      string `json:"violation,omitempty"`
}

// recordMerge stores the merge with the decision that stood. A merge whose last decision
// was not a pass on the merged head is also a violation: an admin bypass, a removed
// required check, or a race.
func (h *PullRequest) recordMerge(ctx context.Context, deliveryID string, inst int64, repo string, pr *github.PullRequest) error {
	head := pr.GetHead().GetSHA()
	last, err := h.Store.Latest(ctx, store.Filter{Repo: repo, PR: pr.GetNumber(), Kinds: []store.Kind{store.KindPRDecision, store.KindPolicyError}})
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("last decision of %s#%d: %w", repo, pr.GetNumber(), err)
	}
	d := mergeDetails{HeadSHA: head, MergeCommitSHA: pr.GetMergeCommitSHA(), BaseRef: pr.GetBase().GetRef(),
		MergedBy: pr.GetMergedBy().GetLogin(), MergedAt: pr.GetMergedAt().UTC().Format("2006-01-02T15:04:05Z")}
	outcome := "none"
	var decision []byte
	if found {
		d.DecisionSeq, d.DecisionSHA, outcome, decision = last.Seq, last.SHA, last.Outcome, last.Decision
	}
	switch {
	case !found:
		d.Violation = "merged without any foureyes decision"
	case last.SHA != head:
		d.Violation = fmt.Sprintf("merged at %.7s but the last decision was on %.7s", head, last.SHA)
	case last.Outcome != "pass":
		d.Violation = fmt.Sprintf("merged while the foureyes decision was %s", last.Outcome)
	}
	if d.Violation != "" && outcome == "pass" {
		outcome = "stale"
	}
	rec := store.Record{Kind: store.KindMerge, DeliveryID: deliveryID, Installation: inst, Repository: repo,
		PR: pr.GetNumber(), SHA: pr.GetMergeCommitSHA(), Actor: d.MergedBy, Outcome: outcome, Decision: decision}
	if found {
		rec.PolicyDigest, rec.PolicySource = last.PolicyDigest, last.PolicySource
	}
	if err := h.audit(ctx, rec, d); err != nil {
		return err
	}
	if d.Violation == "" {
		return nil
	}
	rec.Kind, rec.Outcome = store.KindViolation, "violation"
	Log(ctx).Warn().Str("violation", d.Violation).Msg("pull request merged without a passing decision")
	return h.audit(ctx, rec, d)
}
