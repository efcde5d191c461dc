package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/evaluate"
)

// CheckSuite handles check_suite completed: the last of a suite's runs finished.
type CheckSuite struct{ *Base }

func (h *CheckSuite) Handles() []string { return []string{"check_suite"} }

func (h *CheckSuite) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.CheckSuiteEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	suite := ev.GetCheckSuite()
	if suite == nil || ev.GetAction() != "completed" {
		return nil
	}
	if h.AppID != 0 && suite.GetApp().GetID() == h.AppID {
		h.skipped(ctx, eventType, evaluate.SkipOwnCheck)
		return nil
	}
	full, sha := ev.GetRepo().GetFullName(), suite.GetHeadSHA()
	skip := func(n int) string { return h.Evaluator.SkipSuite(full, n, sha) }
	return h.evaluateHead(ctx, eventType, ev.GetInstallation().GetID(), ev.GetRepo(), sha, suite.PullRequests, skip)
}
