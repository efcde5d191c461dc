package handler

import (
	"context"

	"github.com/google/go-github/v60/github"
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
	if suite == nil || ev.GetAction() != "completed" || (h.AppID != 0 && suite.GetApp().GetID() == h.AppID) {
		return nil
	}
	return h.evaluateHead(ctx, ev.GetInstallation().GetID(), ev.GetRepo(), suite.GetHeadSHA(), suite.PullRequests)
}
