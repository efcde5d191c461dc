package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// declarations reads a PR's emergency declarations back from the audit log, oldest
// first. They are chained records, so a declaration that decides a decision cannot be
// slipped in or out without `audit verify` noticing.
func (e *Evaluator) declarations(ctx context.Context, repo string, pr int) ([]policy.Declaration, error) {
	var out []policy.Declaration
	// Each record is re-checked (hash, chain, the app's signature): a declaration INSERTed
	// by a script is an error, never a waiver.
	recs, err := store.QueryVerified(ctx, e.Store, store.Filter{Repo: repo, PR: pr, Kinds: []store.Kind{store.KindEmergency}})
	if err != nil {
		return nil, fmt.Errorf("read emergency declarations of %s#%d: %w", repo, pr, err)
	}
	for _, r := range recs {
		var d policy.Declaration
		if err := json.Unmarshal(r.Facts, &d); err != nil {
			return nil, fmt.Errorf("emergency record %d: %w", r.Seq, err)
		}
		out = append(out, d)
	}
	return out, nil
}

// Declare appends an `emergency` record for a `/foureyes emergency` comment, once per
// comment: the record's subject names the comment, so its fact key makes a redelivered
// or retried webhook (on any replica) add nothing.
func (e *Evaluator) Declare(ctx context.Context, t Target, d policy.Declaration) error {
	repo := t.Owner + "/" + t.Repo
	subject := ""
	if d.CommentID != 0 {
		subject = "comment:" + strconv.FormatInt(d.CommentID, 10)
	}
	raw, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode declaration: %w", err)
	}
	deliveryID := t.deliveryID()
	_, err = e.Store.Append(ctx, store.Record{Kind: store.KindEmergency, DeliveryID: deliveryID, Installation: t.InstallationID,
		Repository: repo, PR: t.Number, SHA: d.HeadSHA, Subject: subject, Actor: d.By, Outcome: "declared", Facts: raw})
	if err != nil {
		return fmt.Errorf("append emergency declaration: %w", err)
	}
	return nil
}

// ReviewOutcome is what ReviewAfterEmergency found.
type ReviewOutcome struct {
	// Emergency: the PR was merged under an emergency declaration.
	Emergency bool
	// AlreadyClosed: a pir record closed the obligation before.
	AlreadyClosed bool
	Result        policy.ReviewResult
	Record        store.Record // the pir record, when this call closed the obligation
}

// ReviewAfterEmergency looks at a merged PR after a review: when it was merged under an
// emergency declaration and the obligation is still open, it gathers the facts now and
// lets the policy judge whether an independent approver has reviewed it; if so, a `pir`
// record closes the obligation.
func (e *Evaluator) ReviewAfterEmergency(ctx context.Context, t Target) (ReviewOutcome, error) {
	defer e.lock(t)()
	repo := t.Owner + "/" + t.Repo
	merge, err := e.Store.Latest(ctx, store.Filter{Repo: repo, PR: t.Number, Kinds: []store.Kind{store.KindMerge}})
	if errors.Is(err, store.ErrNotFound) {
		return ReviewOutcome{}, nil
	}
	if err != nil {
		return ReviewOutcome{}, fmt.Errorf("merge record of %s#%d: %w", repo, t.Number, err)
	}
	active, ok := ActiveDeclarationOf(merge.Decision)
	if !ok {
		return ReviewOutcome{}, nil
	}
	out := ReviewOutcome{Emergency: true}
	if _, err := e.Store.Latest(ctx, store.Filter{Repo: repo, PR: t.Number, Kinds: []store.Kind{store.KindPIR}}); err == nil {
		out.AlreadyClosed = true
		return out, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("pir record of %s#%d: %w", repo, t.Number, err)
	}
	client, err := e.Clients.NewInstallationClient(t.InstallationID)
	if err != nil {
		return out, fmt.Errorf("installation client %d: %w", t.InstallationID, err)
	}
	pr, _, err := client.PullRequests.Get(ctx, t.Owner, t.Repo, t.Number)
	if err != nil {
		return out, fmt.Errorf("get pull request %s#%d: %w", repo, t.Number, err)
	}
	loaded, err := e.Policies.Load(ctx, client, t.InstallationID, t.Owner, t.Repo, pr.GetBase().GetRef())
	if err != nil {
		return out, err
	}
	if loaded.Policy == nil {
		return out, nil // no policy any more (or a broken one): the obligation stays open
	}
	pushes, err := e.Store.ListPushes(ctx, repo, t.Number, pr.GetHead().GetRef())
	if err != nil {
		return out, fmt.Errorf("list recorded pushes: %w", err)
	}
	decls, err := e.declarations(ctx, repo, t.Number)
	if err != nil {
		return out, err
	}
	f, _, err := e.Gatherer.PullRequest(ctx, client, t.Owner, t.Repo, t.Number, factsOptions(pr, pushes, decls, loaded.Policy))
	if err != nil {
		return out, err
	}
	out.Result = policy.ReviewAfterEmergency(loaded.Policy, f, active.Rules)
	if !out.Result.Closed {
		return out, nil
	}
	factsJSON, err := json.Marshal(f)
	if err != nil {
		return out, fmt.Errorf("encode facts: %w", err)
	}
	// The policy texts behind the review, so `evidence verify` re-performs it.
	if err := e.KeepPolicyInputs(ctx, loaded.Policy.Digest(), loaded.Inputs); err != nil {
		return out, fmt.Errorf("keep the policy inputs of the review: %w", err)
	}
	deliveryID := t.deliveryID()
	actor := ""
	if len(out.Result.Reviewers) > 0 {
		actor = out.Result.Reviewers[0]
	}
	out.Record, err = e.Store.Append(ctx, store.Record{Kind: store.KindPIR, DeliveryID: deliveryID, Installation: t.InstallationID,
		Repository: repo, PR: t.Number, SHA: out.Result.SHA, Actor: actor, Outcome: "closed",
		PolicyDigest: loaded.Policy.Digest(), PolicySource: loaded.Source, Facts: factsJSON, Decision: out.Result.JSON()})
	if err != nil {
		return out, fmt.Errorf("append pir record: %w", err)
	}
	return out, nil
}

// ActiveDeclarationOf reads the declaration that waived approvals from a recorded
// decision (a pr_decision or the decision a merge record carries).
func ActiveDeclarationOf(decision json.RawMessage) (policy.DeclarationResult, bool) {
	if len(decision) == 0 {
		return policy.DeclarationResult{}, false
	}
	var d policy.Decision
	if err := json.Unmarshal(decision, &d); err != nil {
		return policy.DeclarationResult{}, false
	}
	return d.ActiveDeclaration()
}
