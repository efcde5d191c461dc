package evaluate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
)

// ReevaluateAction is the identifier of the check run's "Re-evaluate" button.
const ReevaluateAction = "reevaluate"

// maxAnnotations is GitHub's limit per check-run request.
const maxAnnotations = 50

// publish creates or updates the foureyes check run on sha: one run per head SHA,
// updated in place, and no write at all when conclusion and output are unchanged.
func (e *Evaluator) publish(ctx context.Context, client *github.Client, owner, repo, sha string, out report.Output, anns []report.Annotation) error {
	full := owner + "/" + repo
	status := "completed"
	if out.Conclusion == "" {
		status = "in_progress"
	}
	head, err := e.Store.Lock(ctx, headLockName(full, sha))
	if err != nil {
		return fmt.Errorf("lock the check run of %s@%s: %w", full, sha, err)
	}
	defer head.Release()
	fp := fingerprint(status, out, anns)
	if status == "in_progress" {
		// GitHub marks a run left in progress for 14 days stale: an unchanged pending
		// result is still rewritten once a week.
		fp += fmt.Sprintf("/week-%d", e.Now().Unix()/(7*24*3600))
	}
	prev, err := e.Store.GetCheckRun(ctx, full, sha, e.CheckName)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("look up check run: %w", err)
	}
	exists := err == nil
	if !exists {
		id, err := e.adoptRun(ctx, client, owner, repo, sha)
		if err != nil {
			return err
		}
		if id != 0 {
			prev, exists = store.CheckRun{Repo: full, SHA: sha, Name: e.CheckName, ID: id}, true
		}
	}
	now := e.Now().UTC()
	if exists && prev.Fingerprint == fp {
		e.Metrics.CheckRunWrites.WithLabelValues("unchanged").Inc()
		prev.UpdatedAt = now // verified current: the sweeper need not look again
		return e.Store.PutCheckRun(ctx, prev)
	}
	output := &github.CheckRunOutput{
		Title:       github.String(out.Title),
		Summary:     github.String(out.Summary),
		Text:        github.String(out.Text),
		Annotations: toAnnotations(anns),
	}
	actions := []*github.CheckRunAction{{Label: "Re-evaluate", Description: "Evaluate the policy again", Identifier: ReevaluateAction}}
	var conclusion *string
	var completedAt *github.Timestamp
	if status == "completed" {
		conclusion = github.String(out.Conclusion)
		completedAt = &github.Timestamp{Time: now}
	}
	// Only the holder of the head's lock may write its run: if the lock's session died
	// (a failover), another replica may be writing it now. The delivery is retried.
	if err := head.Check(ctx); err != nil {
		return fmt.Errorf("write check run %s on %s@%s: %w", e.CheckName, full, sha, err)
	}
	if err := checkFleetLock(ctx); err != nil {
		return fmt.Errorf("write check run %s on %s@%s: %w", e.CheckName, full, sha, err)
	}
	var run *github.CheckRun
	if exists {
		run, err = e.updateRun(ctx, client, owner, repo, prev.ID, github.UpdateCheckRunOptions{
			Name: e.CheckName, Status: github.String(status), Conclusion: conclusion,
			CompletedAt: completedAt, Output: output, Actions: actions,
		})
	}
	if !exists || run == nil && err == nil {
		run, _, err = client.Checks.CreateCheckRun(ctx, owner, repo, github.CreateCheckRunOptions{
			Name: e.CheckName, HeadSHA: sha, Status: github.String(status), Conclusion: conclusion,
			StartedAt: &github.Timestamp{Time: now}, CompletedAt: completedAt, Output: output, Actions: actions,
			ExternalID: github.String(full + "@" + sha),
		})
		if err == nil {
			e.Metrics.CheckRunWrites.WithLabelValues("create").Inc()
		}
	}
	if err != nil {
		return fmt.Errorf("write check run %s on %s@%s: %w", e.CheckName, full, sha, err)
	}
	zerolog.Ctx(ctx).Debug().Int64("check_run_id", run.GetID()).Str("status", status).Str("conclusion", out.Conclusion).Msg("check run written")
	return e.Store.PutCheckRun(ctx, store.CheckRun{
		Repo: full, SHA: sha, Name: e.CheckName, ID: run.GetID(), Status: status,
		Conclusion: out.Conclusion, Fingerprint: fp, UpdatedAt: now,
	})
}

// updateRun patches a run in place; it returns (nil, nil) when GitHub no longer has it,
// so the caller creates a new one.
func (e *Evaluator) updateRun(ctx context.Context, client *github.Client, owner, repo string, id int64, opt github.UpdateCheckRunOptions) (*github.CheckRun, error) {
	run, resp, err := client.Checks.UpdateCheckRun(ctx, owner, repo, id, opt)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return nil, nil
	}
	if err == nil {
		e.Metrics.CheckRunWrites.WithLabelValues("update").Inc()
	}
	return run, err
}

func toAnnotations(anns []report.Annotation) []*github.CheckRunAnnotation {
	if len(anns) > maxAnnotations {
		anns = anns[:maxAnnotations]
	}
	out := make([]*github.CheckRunAnnotation, 0, len(anns))
	for _, a := range anns {
		out = append(out, &github.CheckRunAnnotation{
			Path: github.String(a.Path), StartLine: github.Int(a.StartLine), EndLine: github.Int(a.EndLine),
			AnnotationLevel: github.String(a.Level), Message: github.String(a.Message),
		})
	}
	return out
}

// fingerprint identifies what a check run shows, to skip writes that change nothing.
func fingerprint(status string, out report.Output, anns []report.Annotation) string {
	b, _ := json.Marshal(struct {
		Status string
		Out    report.Output
		Anns   []report.Annotation
	}{status, out, anns})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
