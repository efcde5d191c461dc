package handler

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// Status handles status: a commit status may satisfy (or fail) a required check.
type Status struct{ *Base }

func (h *Status) Handles() []string { return []string{"status"} }

func (h *Status) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.StatusEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	full, sha, name := ev.GetRepo().GetFullName(), ev.GetSHA(), ev.GetContext()
	skip := func(n int) string { return h.Evaluator.SkipCheck(full, n, sha, name) }
	return h.evaluateHead(ctx, eventType, ev.GetInstallation().GetID(), ev.GetRepo(), sha, nil, skip)
}
