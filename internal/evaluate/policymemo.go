package evaluate

import (
	"context"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/hashicorp/golang-lru/v2/expirable"
)

// The loaded policy of a base branch is kept, so an evaluation after a check completed
// or a review was submitted reads no policy file. It is dropped when a push changes the
// policy file on that branch (PolicyChanged, from the push handler, which also re-evaluates
// the branch's open PRs) or the org's policy repository (all of the owner's), and expires
// after policyTTL, which bounds how long a missed push webhook can leave it stale. Fresh
// (background) evaluations and a fleet (Evaluator.Fleet) always read it.
const (
	policyTTL  = 10 * time.Minute
	policySize = 4096
)

func (e *Evaluator) policies() *expirable.LRU[string, Loaded] {
	e.policyOnce.Do(func() { e.policyLRU = expirable.NewLRU[string, Loaded](policySize, nil, policyTTL) })
	return e.policyLRU
}

func policyKey(owner, repo, ref string) string { return owner + "/" + repo + "@" + ref }

// loadPolicy is PolicyLoader.Load through the cache.
func (e *Evaluator) loadPolicy(ctx context.Context, client *github.Client, t Target, ref string) (Loaded, error) {
	k := policyKey(t.Owner, t.Repo, ref)
	// With several replicas a push (which drops the cache) reaches one of them only, so a
	// fleet reads the policy every time (a 304 when unchanged).
	if !t.Fresh && !e.Fleet {
		if l, ok := e.policies().Get(k); ok {
			return l, nil
		}
	}
	l, err := e.Policies.Load(ctx, client, t.InstallationID, t.Owner, t.Repo, ref)
	if err != nil {
		return l, err
	}
	e.policies().Add(k, l)
	return l, nil
}

// PolicyChanged drops the cached policy of repo ("owner/name") at branch; with branch ""
// every branch of every repository of the owner (the org policy changed).
func (e *Evaluator) PolicyChanged(repo, branch string) {
	owner, _, _ := strings.Cut(repo, "/")
	for _, k := range e.policies().Keys() {
		if branch == "" && strings.HasPrefix(k, owner+"/") || branch != "" && k == repo+"@"+branch {
			e.policies().Remove(k)
		}
	}
	if branch == "" {
		for _, k := range e.memo().Keys() {
			if strings.HasPrefix(k, owner+"/") {
				e.memo().Remove(k)
			}
		}
	}
}
