package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// sharedHeadLockName serialises, fleet-wide, reading the decisions of the PRs on a head
// and writing its check run: the last writer has then read every decision recorded before
// it, so the run ends on the worst of the latest decisions. Lock order: PR, then this,
// then the check run's own head lock (publish).
func sharedHeadLockName(repo, sha string) string { return "shared-head:" + repo + "@" + sha }

// publishHead writes the check run on pr's head. GitHub has one foureyes run per head SHA,
// read by the branch protection of every base: when other open PRs share the head, the
// run shows the worst of their latest decisions on it (policy.SharedHead), and says so.
//
// A shown combination is itself appended to the audit log first (kind shared_head, with
// the seq of every decision it combines), so the run never shows a decision without a
// record behind it.
func (e *Evaluator) publishHead(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest, d decided, own store.Record) error {
	full := t.Owner + "/" + t.Repo
	sha := pr.GetHead().GetSHA()
	lock, err := e.Store.Lock(ctx, sharedHeadLockName(full, sha))
	if err != nil {
		return fmt.Errorf("lock the PRs on %s@%s: %w", full, sha, err)
	}
	defer lock.Release()
	others, err := e.othersOnHead(ctx, full, t.Number, sha)
	if err != nil {
		return err
	}
	if len(others) == 0 {
		return e.publish(ctx, client, t.Owner, t.Repo, sha, withBaseline(d.output, d.baseline), d.annotations)
	}
	self := policy.HeadDecision{PR: t.Number, Base: pr.GetBase().GetRef(), Decision: &d.Decision}
	hds := make([]policy.HeadDecision, 0, len(others))
	parts := []sharedPart{{PR: t.Number, Seq: own.Seq, Outcome: string(d.Decision.Outcome), Base: self.Base}}
	for _, o := range others {
		hds = append(hds, o.HeadDecision)
		parts = append(parts, sharedPart{PR: o.PR, Seq: o.seq, Outcome: o.outcome(), Base: o.Base})
	}
	shown := policy.SharedHead(self, hds)
	facts, err := json.Marshal(struct {
		HeadSHA   string       `json:"head_sha"`
		Decisions []sharedPart `json:"decisions"`
	}{sha, parts})
	if err != nil {
		return fmt.Errorf("encode shared-head facts: %w", err)
	}
	deliveryID := t.deliveryID()
	if _, err := e.Store.Append(ctx, store.Record{Kind: store.KindSharedHead, DeliveryID: deliveryID, Installation: t.InstallationID,
		Repository: full, PR: t.Number, SHA: sha, Subject: "head:" + sha, Actor: pr.GetUser().GetLogin(),
		Outcome: string(shown.Outcome), PolicyDigest: shown.PolicyDigest, Facts: facts, Decision: shown.JSON()}); err != nil {
		return fmt.Errorf("append shared-head decision to the audit log: %w", err)
	}
	out := report.CheckRun(shown)
	anns := d.annotations
	if out.Conclusion != d.output.Conclusion || shown.Outcome != d.Decision.Outcome {
		anns = nil // another PR's decision is shown: this PR's annotations do not explain it
	}
	return e.publish(ctx, client, t.Owner, t.Repo, sha, withBaseline(out, d.baseline), anns)
}

// withBaseline names, under the summary, the baseline that applied: an auditor reading a
// run must see whether the org's rules were part of it.
func withBaseline(out report.Output, baseline string) report.Output {
	if baseline != "" {
		out.Summary += "\n\nBaseline: " + report.Escape(baseline) + "\n"
	}
	return out
}

// sharedPart is one decision a shared_head record combines (seq 0: none on this head yet),
// with the base policy.SharedHead names it under: the record re-derives the combination.
type sharedPart struct {
	PR      int    `json:"pr"`
	Seq     int64  `json:"seq,omitempty"`
	Outcome string `json:"outcome"`
	Base    string `json:"base"`
}

// otherDecision is another PR's latest decision on the head, with its record.
type otherDecision struct {
	policy.HeadDecision
	seq int64
}

func (o otherDecision) outcome() string {
	if o.Decision == nil {
		return "none"
	}
	return string(o.Decision.Outcome)
}

// othersOnHead returns the latest decision on sha of every other open PR of repo whose
// head is sha (nil Decision: none on this head yet, which counts as pending).
func (e *Evaluator) othersOnHead(ctx context.Context, repo string, self int, sha string) ([]otherDecision, error) {
	prs, err := e.Store.OpenPRsByHead(ctx, repo, sha)
	if err != nil {
		return nil, fmt.Errorf("open pull requests on %s@%s: %w", repo, sha, err)
	}
	sort.Slice(prs, func(i, j int) bool { return prs[i].Number < prs[j].Number })
	var out []otherDecision
	for _, p := range prs {
		if p.Number == self {
			continue
		}
		h := otherDecision{HeadDecision: policy.HeadDecision{PR: p.Number, Base: p.BaseRef}}
		rec, err := e.Store.Latest(ctx, store.Filter{Repo: repo, PR: p.Number, Kinds: []store.Kind{store.KindPRDecision, store.KindPolicyError}})
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, fmt.Errorf("last decision of %s#%d: %w", repo, p.Number, err)
		case rec.SHA == sha:
			var d policy.Decision
			if err := json.Unmarshal(rec.Decision, &d); err != nil {
				return nil, fmt.Errorf("decode decision %d of %s#%d: %w", rec.Seq, repo, p.Number, err)
			}
			h.Decision, h.seq = &d, rec.Seq
		}
		out = append(out, h)
	}
	return out, nil
}
