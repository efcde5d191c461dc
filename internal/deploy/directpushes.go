package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
	"golang.org/x/sync/errgroup"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// The pull requests GitHub associates with a merge commit do not say what else its
// history ships: a commit pushed straight to the default branch, that a later approved
// merge sits on, deploys with that merge's commit although nobody reviewed it. foureyes
// recorded each such push as a violation when its webhook arrived; the gate lists those
// whose pushed head is in the deployed SHA's history, with the review notes on each, and
// approved_change (policy/deployment_pushes.go) requires each to be cleared.

// maxDirectPushes bounds the direct-push violations of a repository the gate looks at:
// the newest 100 (one compare request each, at most compareConcurrency at a time). A
// repository with more has a control problem no deployment gate hides; an older push
// beyond the bound is not looked at (docs/policy.md says so).
const maxDirectPushes = 100

// compareConcurrency is how many compare requests the gate has in flight for one
// deployment.
const compareConcurrency = 4

// directPushSubject is the subject prefix of a direct-push violation
// (internal/handler/direct_push.go).
const directPushSubject = "push:"

// directPushes returns the direct pushes of r's repository in the history of r.SHA, in
// the order they were recorded, each with its review notes. Every record relied on is
// verified first. A GitHub error other than compare's 404 is returned: the inbox retries
// a transient one, and no answer is given (nothing approved) until GitHub answers.
func (g *Gate) directPushes(ctx context.Context, client *github.Client, r Request) ([]policy.DeployedDirectPush, error) {
	recs, err := g.recentDirectPushes(ctx, r.FullName())
	if err != nil {
		return nil, err
	}
	pushes := make([]policy.DeployedDirectPush, len(recs))
	for i, rec := range recs {
		if err := g.Store.VerifyRecord(ctx, rec); err != nil {
			return nil, fmt.Errorf("direct push violation record #%d of %s: %w", rec.Seq, r.FullName(), err)
		}
		var pf policy.PushFacts
		if err := json.Unmarshal(rec.Facts, &pf); err != nil {
			return nil, fmt.Errorf("decode direct push violation record #%d: %w", rec.Seq, err)
		}
		pushes[i] = policy.DeployedDirectPush{SHA: rec.SHA, Pusher: rec.Actor, ViolationSeq: rec.Seq,
			Commits: append([]string{}, pf.Commits...), Notes: []policy.DirectPushNote{}}
		if pf.Pusher != "" {
			pushes[i].Pusher = pf.Pusher
		}
	}
	in := make([]bool, len(pushes))
	grp, gctx := errgroup.WithContext(ctx)
	grp.SetLimit(compareConcurrency)
	for i, p := range pushes {
		grp.Go(func() error {
			var err error
			in[i], err = inHistory(gctx, client, r, p.SHA)
			return err
		})
	}
	if err := grp.Wait(); err != nil {
		return nil, err
	}
	out := []policy.DeployedDirectPush{}
	for i, p := range pushes {
		if !in[i] {
			continue
		}
		if p.Notes, err = g.reviewNotes(ctx, recs[i]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// recentDirectPushes returns the newest maxDirectPushes direct-push violations of repo,
// oldest first. The log is read in sequence order, keeping the last ones in bounded
// memory.
func (g *Gate) recentDirectPushes(ctx context.Context, repo string) ([]store.Record, error) {
	var recs []store.Record
	err := g.Store.Query(ctx, store.Filter{Repo: repo, Kinds: []store.Kind{store.KindViolation}}, func(rec store.Record) error {
		if rec.PR != 0 || !strings.HasPrefix(rec.Subject, directPushSubject) || rec.SHA == "" {
			return nil // a merge violation: its PR is judged as a deployed PR
		}
		if len(recs) == maxDirectPushes {
			copy(recs, recs[1:])
			recs = recs[:maxDirectPushes-1]
		}
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("direct push violations of %s: %w", repo, err)
	}
	return recs, nil
}

// inHistory says whether pushed is deployed or one of its ancestors, by GitHub's compare
// pushed...deployed: "identical" or "ahead" with nothing behind. A 404 is a pushed
// commit GitHub no longer has (force-pushed away and collected): not in any history.
func inHistory(ctx context.Context, client *github.Client, r Request, pushed string) (bool, error) {
	if strings.EqualFold(pushed, r.SHA) {
		return true, nil
	}
	// One commit a page: only the status and counts are read.
	cmp, resp, err := client.Repositories.CompareCommits(ctx, r.Owner, r.Repo, pushed, r.SHA, &github.ListOptions{PerPage: 1})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return false, nil
		}
		return false, fmt.Errorf("compare direct push %.7s with the deployed %.7s of %s: %w", pushed, r.SHA, r.FullName(), err)
	}
	switch cmp.GetStatus() {
	case "identical", "ahead":
		return cmp.GetBehindBy() == 0, nil
	}
	return false, nil
}

// reviewNotes returns the review notes on a violation record, oldest first, each
// verified: a note clears a push, so a forged one must not.
func (g *Gate) reviewNotes(ctx context.Context, violation store.Record) ([]policy.DirectPushNote, error) {
	notes := []policy.DirectPushNote{}
	var recs []store.Record
	err := g.Store.Query(ctx, store.Filter{Repo: violation.Repository, Kinds: []store.Kind{store.KindReviewNote},
		Subject: store.ReviewNoteSubject(violation.Seq)}, func(rec store.Record) error {
		recs = append(recs, rec)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("review notes of violation record #%d: %w", violation.Seq, err)
	}
	for _, rec := range recs {
		if err := g.Store.VerifyRecord(ctx, rec); err != nil {
			return nil, fmt.Errorf("review note #%d of violation record #%d: %w", rec.Seq, violation.Seq, err)
		}
		notes = append(notes, policy.DirectPushNote{Seq: rec.Seq, Author: rec.Actor, Disposition: rec.Outcome})
	}
	return notes, nil
}
