package tickets

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RefStore keeps the Watcher's index where every replica and the next start can read it
// (store.Checkpoints satisfies it): which PRs referenced a ticket in their last
// evaluation, and which PRs wait on a ticket. Without it the index lives in memory only.
type RefStore interface {
	GetCheckpoint(ctx context.Context, key string) (string, error)
	SetCheckpoint(ctx context.Context, key, value string) error
}

// Bounds of the persisted index: a ticket referenced by more open PRs than this keeps
// the most recent ones; polling still covers the rest on the replica that evaluated them.
const (
	maxSubjectsPerRef = 200
	maxWaiting        = 2000
	persistTimeout    = 5 * time.Second
	waitingKey        = "tickets:waiting"
)

// prEntry is what is persisted per pull request.
type prEntry struct {
	Refs    []Ref `json:"refs"`
	Waiting bool  `json:"waiting"`
}

func subjectKey(s Subject) string {
	return "tickets:pr:" + strconv.FormatInt(s.InstallationID, 10) + ":" + s.Repo + "#" + strconv.Itoa(s.Number)
}

func refKey(r Ref) string { return "tickets:ref:" + r.System + ":" + r.Key }

func sortedRefs(refs []Ref) []Ref {
	out := slices.Clone(refs)
	slices.SortFunc(out, func(a, b Ref) int { return strings.Compare(a.System+"\x00"+a.Key, b.System+"\x00"+b.Key) })
	return out
}

func readJSON[T any](ctx context.Context, st RefStore, key string) (T, error) {
	var v T
	raw, err := st.GetCheckpoint(ctx, key)
	if err != nil || raw == "" {
		return v, err
	}
	err = json.Unmarshal([]byte(raw), &v)
	return v, err
}

func writeJSON(ctx context.Context, st RefStore, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return st.SetCheckpoint(ctx, key, string(b))
}

// persist records s's tickets and whether it waits; it writes nothing when nothing
// changed since the last evaluation of s.
func (w *Watcher) persist(s Subject, refs []Ref, waiting bool) {
	if w.Store == nil {
		return
	}
	w.persistMu.Lock()
	defer w.persistMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), persistTimeout)
	defer cancel()
	next := prEntry{Refs: sortedRefs(refs), Waiting: waiting && len(refs) > 0}
	prev, err := readJSON[prEntry](ctx, w.Store, subjectKey(s))
	if err != nil {
		w.Log.Warn().Err(err).Msg("ticket index: read failed; this PR is indexed in memory only")
		return
	}
	if slices.Equal(prev.Refs, next.Refs) && prev.Waiting == next.Waiting {
		return
	}
	for _, r := range prev.Refs {
		if !slices.Contains(next.Refs, r) {
			w.updateSubjects(ctx, refKey(r), s, false, maxSubjectsPerRef)
		}
	}
	for _, r := range next.Refs {
		if !slices.Contains(prev.Refs, r) {
			w.updateSubjects(ctx, refKey(r), s, true, maxSubjectsPerRef)
		}
	}
	if prev.Waiting != next.Waiting {
		w.updateSubjects(ctx, waitingKey, s, next.Waiting, maxWaiting)
	}
	if err := writeJSON(ctx, w.Store, subjectKey(s), next); err != nil {
		w.Log.Warn().Err(err).Msg("ticket index: write failed")
	}
}

// updateSubjects adds s to (or removes it from) the list under key, keeping at most max
// (the most recently added).
func (w *Watcher) updateSubjects(ctx context.Context, key string, s Subject, add bool, max int) {
	list, err := readJSON[[]Subject](ctx, w.Store, key)
	if err != nil {
		w.Log.Warn().Err(err).Str("key", key).Msg("ticket index: read failed")
		return
	}
	list = slices.DeleteFunc(list, func(x Subject) bool { return x == s })
	if add {
		list = append(list, s)
		if len(list) > max {
			list = list[len(list)-max:]
		}
	}
	if err := writeJSON(ctx, w.Store, key, list); err != nil {
		w.Log.Warn().Err(err).Str("key", key).Msg("ticket index: write failed")
	}
}

// persisted lists the subjects the store says referenced r, or waited (r nil).
func (w *Watcher) persisted(ctx context.Context, key string) []Subject {
	if w.Store == nil {
		return nil
	}
	list, err := readJSON[[]Subject](ctx, w.Store, key)
	if err != nil {
		w.Log.Warn().Err(err).Str("key", key).Msg("ticket index: read failed")
		return nil
	}
	return list
}
