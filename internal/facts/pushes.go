package facts

import (
	"sort"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// filterPushes keeps the pushes that make someone a pusher of the pull request: every
// push recorded for this PR (number, from its synchronize events, which GitHub sends only
// while it is open), every push to its branch since the PR was opened (openedAt; zero for
// a fork PR, whose branch pushes foureyes does not see), and any push whose After is one
// of the PR's commits (or its head). Whoever pushed while the PR was open stays a pusher
// whatever commits remain: a squash or force-push must not erase that bob pushed. Pushes
// to the same branch name before the PR existed, whose commits are not in it, are not held
// against anyone. The same push is often recorded twice (the push event and the
// pull_request synchronize event, two deliveries): one (before, after, pusher) is one
// push, at its earliest time. Ordered by time, then After.
func filterPushes(pushes []store.Push, commitSHAs map[string]bool, number int, openedAt time.Time) []policy.Push {
	type key struct{ before, after, pusher string }
	first := map[key]store.Push{}
	for _, p := range pushes {
		duringPR := (number != 0 && p.PR == number) || (!openedAt.IsZero() && !p.At.Before(openedAt))
		if !commitSHAs[p.After] && !duringPR {
			continue
		}
		k := key{p.Before, p.After, p.Pusher}
		if prev, ok := first[k]; !ok || p.At.Before(prev.At) {
			first[k] = p
		}
	}
	kept := make([]store.Push, 0, len(first))
	for _, p := range first {
		kept = append(kept, p)
	}
	sort.Slice(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if !a.At.Equal(b.At) {
			return a.At.Before(b.At)
		}
		if a.After != b.After {
			return a.After < b.After
		}
		if a.Before != b.Before {
			return a.Before < b.Before
		}
		return a.Pusher < b.Pusher
	})
	out := make([]policy.Push, 0, len(kept))
	for _, p := range kept {
		at := ""
		if !p.At.IsZero() {
			at = p.At.UTC().Format(time.RFC3339)
		}
		out = append(out, policy.Push{Before: p.Before, After: p.After, Pusher: p.Pusher, At: at})
	}
	return out
}
