package evaluate

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Fresh is a pull request decision taken outside the check-run path, and its audit record.
type Fresh struct {
	Decision policy.Decision
	Facts    *policy.Facts // nil when the policy did not parse
	Record   store.Record
}

// DecideFresh judges pr exactly as its check run would (the base branch's policy, facts
// from GitHub, pr may be closed or merged), appends the decision to the audit log with
// subject (so an auditor sees which deployment asked for it), and publishes nothing: the
// deployment gate needs it when a deployed PR has no merge record, and must not touch
// the check run of a PR that is already merged.
func (e *Evaluator) DecideFresh(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest, subject string) (Fresh, error) {
	d, err := e.decide(ctx, client, t, pr)
	if err != nil {
		return Fresh{}, err
	}
	var factsJSON json.RawMessage
	if d.Facts != nil {
		if factsJSON, err = json.Marshal(d.Facts); err != nil {
			return Fresh{}, fmt.Errorf("encode facts: %w", err)
		}
	}
	deliveryID := t.deliveryID()
	if err := e.keepPolicyInputs(ctx, d); err != nil {
		return Fresh{}, err
	}
	rec, err := e.appendDecision(ctx, store.Record{
		Kind: d.Kind, DeliveryID: deliveryID, Installation: t.InstallationID,
		Repository: t.Owner + "/" + t.Repo, PR: t.Number, SHA: pr.GetHead().GetSHA(), Subject: subject,
		Actor: pr.GetUser().GetLogin(), Outcome: string(d.Decision.Outcome),
		PolicyDigest: d.recordDigest(), PolicySource: d.Source,
		Facts: factsJSON, Decision: d.Decision.JSON(),
	})
	if err != nil {
		return Fresh{}, fmt.Errorf("append fresh decision of %s/%s#%d to the audit log: %w", t.Owner, t.Repo, t.Number, err)
	}
	return Fresh{Decision: d.Decision, Facts: d.Facts, Record: rec}, nil
}
