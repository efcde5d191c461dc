package handler

import (
	"context"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/facts"
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
	check := facts.CheckFromStatus(&ev)
	skip := func(n int) string {
		why := h.Evaluator.SkipCheck(full, n, sha, name)
		if why == "" {
			h.Evaluator.ObserveCheck(full, n, sha, check)
		}
		return why
	}
	return h.evaluateHead(ctx, eventType, ev.GetInstallation().GetID(), ev.GetRepo(), sha, nil, skip)
}
