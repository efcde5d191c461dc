package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// PREvidence says where the gate's view of one deployed PR comes from, so an auditor can
// follow it to the records behind it.
type PREvidence struct {
	Number      int   `json:"number"`
	MergeSeq    int64 `json:"merge_seq,omitempty"`    // the merge record
	DecisionSeq int64 `json:"decision_seq,omitempty"` // the decision that stood at merge
	// EvaluatedFresh: foureyes had no merge record (or no decision behind it), so the PR
	// was evaluated now and that decision recorded as FreshSeq.
	EvaluatedFresh bool  `json:"evaluated_fresh"`
	FreshSeq       int64 `json:"fresh_seq,omitempty"`
}

// mergeDetails mirrors the facts of a merge record (internal/handler/merge.go).
type mergeDetails struct {
	HeadSHA        string `json:"head_sha"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	DecisionSeq    int64  `json:"decision_seq"`
	DecisionSHA    string `json:"decision_sha"`
	Violation      string `json:"violation"`
}

// pullsOf returns the PRs that brought the SHA: the payload's when it names any, else
// the merged PRs GitHub associates with the commit. A payload PR may be a minimal object
// (no author, no merge state): it is read again in full.
func (g *Gate) pullsOf(ctx context.Context, client *github.Client, r Request) ([]*github.PullRequest, error) {
	if len(r.PullRequests) > 0 {
		out := make([]*github.PullRequest, 0, len(r.PullRequests))
		for _, pr := range r.PullRequests {
			if pr.GetUser().GetLogin() == "" || pr.Merged == nil {
				full, _, err := client.PullRequests.Get(ctx, r.Owner, r.Repo, pr.GetNumber())
				if err != nil {
					return nil, fmt.Errorf("get pull request %s#%d: %w", r.FullName(), pr.GetNumber(), err)
				}
				pr = full
			}
			out = append(out, pr)
		}
		return out, nil
	}
	all, _, err := g.Evaluator.Gatherer.PullsForCommit(ctx, client, r.Owner, r.Repo, r.SHA)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(all, func(pr *github.PullRequest) bool { return !pr.GetMerged() && pr.MergedAt == nil }), nil
}

// deployedPR builds the policy's view of one PR from what foureyes recorded when it
// merged: the outcome that stood, whether it was a violation, and the people of the
// decision's facts. Without a merge record (or a decision behind it) the PR is
// evaluated afresh and that decision recorded under subject.
func (g *Gate) deployedPR(ctx context.Context, client *github.Client, r Request, pr *github.PullRequest, subject string) (policy.DeployedPR, PREvidence, error) {
	n := pr.GetNumber()
	dp := policy.DeployedPR{Number: n, Author: pr.GetUser().GetLogin(), Merged: pr.GetMerged() || pr.MergedAt != nil,
		Title: pr.GetTitle(), Body: pr.GetBody(), Branch: pr.GetHead().GetRef()} // where change_request looks for its reference
	ev := PREvidence{Number: n}
	merge, err := g.Store.Latest(ctx, store.Filter{Repo: r.FullName(), PR: n, Kinds: []store.Kind{store.KindMerge}})
	switch {
	case err == nil:
		if err := g.Store.VerifyRecord(ctx, merge); err != nil {
			return dp, ev, fmt.Errorf("merge record #%d of %s#%d: %w", merge.Seq, r.FullName(), n, err)
		}
		var md mergeDetails
		if err := json.Unmarshal(merge.Facts, &md); err != nil {
			return dp, ev, fmt.Errorf("decode merge record #%d of %s#%d: %w", merge.Seq, r.FullName(), n, err)
		}
		ev.MergeSeq, ev.DecisionSeq = merge.Seq, md.DecisionSeq
		dp.Merged, dp.MergeOutcome, dp.MergedHeadSHA, dp.MergeCommitSHA = true, merge.Outcome, md.HeadSHA, md.MergeCommitSHA
		dp.Violation = md.Violation != ""
		dp.EvaluatedFresh = md.DecisionSeq != 0 && md.DecisionSHA == md.HeadSHA
		if a, ok := evaluate.ActiveDeclarationOf(merge.Decision); ok {
			dp.Emergency = a.Reference // only allow_emergency accepts it (policy/deployment.go)
		}
		if md.DecisionSeq != 0 {
			f, err := g.decisionFacts(ctx, md.DecisionSeq)
			if err != nil {
				return dp, ev, err
			}
			if f != nil {
				setPeople(&dp, f)
				return dp, ev, nil
			}
		}
	case !errors.Is(err, store.ErrNotFound):
		return dp, ev, fmt.Errorf("merge record of %s#%d: %w", r.FullName(), n, err)
	}
	fresh, err := g.Evaluator.DecideFresh(ctx, client, evaluate.Target{InstallationID: r.InstallationID, Owner: r.Owner,
		Repo: r.Repo, Number: n, DeliveryIDs: []string{r.DeliveryID}}, pr, subject)
	if err != nil {
		return dp, ev, fmt.Errorf("evaluate %s#%d for the deployment: %w", r.FullName(), n, err)
	}
	ev.EvaluatedFresh, ev.FreshSeq = true, fresh.Record.Seq
	if fresh.Facts != nil {
		setPeople(&dp, fresh.Facts)
	}
	if ev.MergeSeq == 0 { // no merge record: the fresh decision is the one that counts
		dp.MergeOutcome, dp.MergedHeadSHA, dp.EvaluatedFresh = string(fresh.Decision.Outcome), pr.GetHead().GetSHA(), true
		dp.MergeCommitSHA = pr.GetMergeCommitSHA()
	}
	return dp, ev, nil
}

var errStop = errors.New("stop")

// decisionFacts returns the facts of the audit record seq, or nil when it has none.
func (g *Gate) decisionFacts(ctx context.Context, seq int64) (*policy.Facts, error) {
	var found *store.Record
	err := g.Store.Scan(ctx, seq, func(rec store.Record) error {
		found = &rec
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, fmt.Errorf("read decision record #%d: %w", seq, err)
	}
	if found == nil || found.Seq != seq || len(found.Facts) == 0 {
		return nil, nil
	}
	if err := g.Store.VerifyRecord(ctx, *found); err != nil {
		return nil, fmt.Errorf("decision record #%d: %w", seq, err)
	}
	var f policy.Facts
	if err := json.Unmarshal(found.Facts, &f); err != nil {
		return nil, fmt.Errorf("decode facts of decision record #%d: %w", seq, err)
	}
	return &f, nil
}

// setPeople copies who took part in a change from its facts.
func setPeople(dp *policy.DeployedPR, f *policy.Facts) {
	if f.PullRequest.Author != "" {
		dp.Author = f.PullRequest.Author
	}
	add := func(list *[]string, login string) {
		if login != "" && !slices.Contains(*list, login) {
			*list = append(*list, login)
		}
	}
	dp.CommitAuthors, dp.Committers, dp.CoAuthors, dp.Pushers = []string{}, []string{}, []string{}, []string{}
	for _, c := range f.Commits {
		add(&dp.CommitAuthors, c.Author)
		add(&dp.Committers, c.Committer)
		for _, co := range c.CoAuthors {
			add(&dp.CoAuthors, co)
		}
	}
	for _, p := range f.Pushes {
		add(&dp.Pushers, p.Pusher)
	}
	for _, l := range [][]string{dp.CommitAuthors, dp.Committers, dp.CoAuthors, dp.Pushers} {
		slices.Sort(l)
	}
}
