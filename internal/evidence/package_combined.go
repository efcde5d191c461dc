package evidence

import (
	"context"
	"encoding/json"

	"github.com/foureyes/foureyes/internal/store"
)

// combinedDecisions returns, with their documents, the decisions of other pull requests
// that the change's shared_head records combine (policy.SharedHead): the package holds
// them, and its chain slice starts early enough to prove them, so `evidence verify`
// re-performs the combination the check run showed.
func combinedDecisions(ctx context.Context, src store.ChainReader, change []store.ChainRecord) (map[int64]store.ChainRecord, error) {
	out := map[int64]store.ChainRecord{}
	for _, r := range change {
		if r.Kind != store.KindSharedHead {
			continue
		}
		var f sharedHeadFacts
		if json.Unmarshal(r.Facts, &f) != nil {
			continue // verify reports facts that do not decode
		}
		want := map[int64]bool{}
		for _, part := range f.Decisions {
			if part.Seq != 0 && part.Seq < r.Seq {
				want[part.Seq] = true
			}
		}
		if len(want) == 0 {
			continue
		}
		err := src.QueryChain(ctx, store.Filter{Repo: r.Repository, SHA: f.HeadSHA, Kinds: []store.Kind{store.KindPRDecision, store.KindPolicyError}},
			func(c store.ChainRecord) error {
				if want[c.Seq] {
					out[c.Seq] = c
				}
				return nil
			})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
