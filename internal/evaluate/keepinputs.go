package evaluate

import (
	"context"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// KeepPolicyInputs stores the policy inputs of a decision made outside this package (a
// deployment decision) under the digest its record names, once per digest, before the
// decision is appended: `evidence verify` re-performs it from them. A store that keeps
// no policy texts, or an empty digest, stores nothing.
func (e *Evaluator) KeepPolicyInputs(ctx context.Context, digest string, in policy.PolicyInputs) error {
	pt, ok := e.Store.(store.PolicyTexts)
	if !ok || digest == "" {
		return nil
	}
	if _, done := e.keptPolicies.Load(digest); done {
		return nil
	}
	if err := pt.PutPolicyText(ctx, digest, in.JSON()); err != nil {
		return err
	}
	e.keptPolicies.Store(digest, true)
	return nil
}
