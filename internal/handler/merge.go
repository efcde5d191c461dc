package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// mergeDetails is the evidence of a merge record: what was merged, by whom, and which
// decision stood at that moment. head_sha, base_ref and decision are policy.MergeFacts:
// `policy.JudgeMerge` of them re-derives the record's outcome and violation.
type mergeDetails struct {
	HeadSHA        string                `json:"head_sha"`
	MergeCommitSHA string                `json:"merge_commit_sha"`
	BaseRef        string                `json:"base_ref"`
	MergedBy       string                `json:"merged_by"`
	MergedAt       string                `json:"merged_at"`
	DecisionSeq    int64                 `json:"decision_seq,omitempty"`
	DecisionSHA    string                `json:"decision_sha,omitempty"`
	Decision       *policy.MergeDecision `json:"decision,omitempty"`
	Violation      string                `json:"violation,omitempty"`
}

var decisionKinds = []store.Kind{store.KindPRDecision, store.KindPolicyError}

// recordMerge stores the merge with the decision that stood. When the PR's last decision
// was not made for the merged head SHA and base ref (a push or a retarget that foureyes
// had not yet processed, or no decision at all), the PR is judged afresh from the facts at
// the merge, and that decision stands. policy.JudgeMerge then decides: a merge whose
// standing decision is not a pass for exactly what was merged is also a violation (an
// admin bypass, a removed required check, a race), never a pass.
func (h *PullRequest) recordMerge(ctx context.Context, deliveryID string, inst int64, repo string, pr *github.PullRequest) error {
	mf := policy.MergeFacts{HeadSHA: pr.GetHead().GetSHA(), BaseRef: pr.GetBase().GetRef()}
	last, err := h.Store.Latest(ctx, store.Filter{Repo: repo, PR: pr.GetNumber(), Kinds: decisionKinds})
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("last decision of %s#%d: %w", repo, pr.GetNumber(), err)
	}
	if found {
		// The merge's outcome is taken from this record: it must be the app's.
		if err := h.Store.VerifyRecord(ctx, last); err != nil {
			return fmt.Errorf("last decision of %s#%d: %w", repo, pr.GetNumber(), err)
		}
	}
	standing := last
	if found {
		mf.Decision = mergeDecisionOf(last)
	}
	if !mf.Stands(mf.Decision) {
		fresh, err := h.judgeAtMerge(ctx, deliveryID, inst, pr)
		if err != nil {
			return err
		}
		standing, found = fresh, true
		mf.Decision = mergeDecisionOf(fresh)
		mf.Decision.JudgedAtMerge = true
	}
	verdict := policy.JudgeMerge(mf)
	d := mergeDetails{HeadSHA: mf.HeadSHA, MergeCommitSHA: pr.GetMergeCommitSHA(), BaseRef: mf.BaseRef,
		MergedBy: pr.GetMergedBy().GetLogin(), MergedAt: pr.GetMergedAt().UTC().Format("2006-01-02T15:04:05Z"),
		Decision: mf.Decision, Violation: verdict.Violation}
	rec := store.Record{Kind: store.KindMerge, DeliveryID: deliveryID, Installation: inst, Repository: repo,
		PR: pr.GetNumber(), SHA: pr.GetMergeCommitSHA(), Actor: d.MergedBy, Outcome: verdict.Outcome}
	if found {
		d.DecisionSeq, d.DecisionSHA = standing.Seq, standing.SHA
		rec.Decision, rec.PolicyDigest, rec.PolicySource = standing.Decision, standing.PolicyDigest, standing.PolicySource
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

// judgeAtMerge evaluates the merged PR now, under its merged base's policy, and records
// that decision (subject "merge:<sha>"). A GitHub error is returned, so the delivery is
// retried: the merge record is never written from a guess.
func (h *PullRequest) judgeAtMerge(ctx context.Context, deliveryID string, inst int64, pr *github.PullRequest) (store.Record, error) {
	client, err := h.Clients.NewInstallationClient(inst)
	if err != nil {
		return store.Record{}, fmt.Errorf("installation client %d: %w", inst, err)
	}
	repo := pr.GetBase().GetRepo()
	t := evaluate.Target{InstallationID: inst, Owner: repo.GetOwner().GetLogin(), Repo: repo.GetName(), Number: pr.GetNumber(), DeliveryIDs: []string{deliveryID}}
	fresh, err := h.Evaluator.DecideFresh(ctx, client, t, pr, "merge:"+pr.GetMergeCommitSHA())
	if err != nil {
		return store.Record{}, fmt.Errorf("judge %s#%d at its merge: %w", repo.GetFullName(), pr.GetNumber(), err)
	}
	return fresh.Record, nil
}

// mergeDecisionOf is a recorded decision as policy.MergeFacts sees it: its base is the
// base ref of its facts (unknown for a policy error, which has none).
func mergeDecisionOf(rec store.Record) *policy.MergeDecision {
	md := &policy.MergeDecision{Seq: rec.Seq, SHA: rec.SHA, Outcome: rec.Outcome}
	var f struct {
		PullRequest struct {
			Base struct {
				Ref string `json:"ref"`
			} `json:"base"`
		} `json:"pull_request"`
	}
	if len(rec.Facts) > 0 && json.Unmarshal(rec.Facts, &f) == nil {
		md.BaseRef = f.PullRequest.Base.Ref
	}
	return md
}
