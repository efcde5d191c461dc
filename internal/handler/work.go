// Package handler turns each webhook event into work, one file per event: record a push,
// record a merge, evaluate a pull request, gate a deployment. Handlers run on the inbox's
// workers, never inside the HTTP request, so they may call GitHub.
package handler

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

// Subject is one pull request to evaluate.
type Subject struct {
	InstallationID int64
	Owner          string
	Repo           string
	Number         int
	// Background marks work nobody is waiting for (the policy fan-out, the sweeper): it
	// runs in the coalescer's background lane, after interactive evaluations.
	Background bool
}

// FullName is "owner/repo".
func (s Subject) FullName() string { return s.Owner + "/" + s.Repo }

func (s Subject) String() string { return fmt.Sprintf("%s/%s#%d", s.Owner, s.Repo, s.Number) }

// Work collects the evaluations a delivery asks for. The worker hands them to the
// coalescer, which evaluates at once and merges requests arriving meanwhile into one
// follow-up evaluation; the delivery is completed only when those evaluations are done, so a crash
// in between loses nothing.
type Work struct {
	mu       sync.Mutex
	subjects map[Subject]struct{}
}

type workKey struct{}

// WithWork returns a context that collects work, and the collector.
func WithWork(ctx context.Context) (context.Context, *Work) {
	w := &Work{subjects: map[Subject]struct{}{}}
	return context.WithValue(ctx, workKey{}, w), w
}

// Evaluate asks for an evaluation of s once this delivery's handling is done.
func Evaluate(ctx context.Context, s Subject) {
	w, ok := ctx.Value(workKey{}).(*Work)
	if !ok {
		return
	}
	w.mu.Lock()
	w.subjects[s] = struct{}{}
	w.mu.Unlock()
}

// EvaluateBackground asks for an evaluation in the background lane: the policy fan-out
// of a push to a base branch uses it so that webhook-driven evaluations go first.
func EvaluateBackground(ctx context.Context, s Subject) {
	s.Background = true
	Evaluate(ctx, s)
}

// Subjects lists the collected evaluations in a stable order.
func (w *Work) Subjects() []Subject {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]Subject, 0, len(w.subjects))
	for s := range w.subjects {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Owner+"/"+out[i].Repo != out[j].Owner+"/"+out[j].Repo {
			return out[i].Owner+"/"+out[i].Repo < out[j].Owner+"/"+out[j].Repo
		}
		return out[i].Number < out[j].Number
	})
	return out
}
