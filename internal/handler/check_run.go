package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
	"github.com/foureyes/foureyes/internal/facts"
)

// CheckRun handles check_run: another app's completed run may satisfy a required check;
// a re-run request or the "Re-evaluate" button on foureyes' own run asks for a fresh
// evaluation.
type CheckRun struct{ *Base }

func (h *CheckRun) Handles() []string { return []string{"check_run"} }

func (h *CheckRun) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.CheckRunEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	run := ev.GetCheckRun()
	if run == nil {
		return nil
	}
	own := h.AppID != 0 && run.GetApp().GetID() == h.AppID
	var skip func(int) string
	switch ev.GetAction() {
	case "completed":
		if own {
			h.skipped(ctx, eventType, evaluate.SkipOwnCheck) // our own result: nothing new
			return nil
		}
		full, sha, name := ev.GetRepo().GetFullName(), run.GetHeadSHA(), run.GetName()
		check := facts.CheckFromRun(run)
		skip = func(n int) string {
			why := h.Evaluator.SkipCheck(full, n, sha, name)
			if why == "" {
				h.Evaluator.ObserveCheck(full, n, sha, check) // the payload is the run as it is now
			}
			return why
		}
	case "rerequested":
		if !own {
			return nil
		}
		skip = h.readAgain(ev.GetRepo().GetFullName())
	case "requested_action":
		if !own || ev.RequestedAction == nil || ev.RequestedAction.Identifier != evaluate.ReevaluateAction {
			return nil
		}
		skip = h.readAgain(ev.GetRepo().GetFullName())
	default:
		return nil
	}
	return h.evaluateHead(ctx, eventType, ev.GetInstallation().GetID(), ev.GetRepo(), run.GetHeadSHA(), run.PullRequests, skip)
}

// readAgain makes a re-run or the "Re-evaluate" button read everything from GitHub: its
// point is to catch what no webhook said (it never skips).
func (h *CheckRun) readAgain(repo string) func(int) string {
	return func(n int) string {
		if h.Evaluator != nil {
			h.Evaluator.ForgetState(repo, n)
		}
		return ""
	}
}
