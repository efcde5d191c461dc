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
	return h.evaluateHead(ctx, ev.GetInstallation().GetID(), ev.GetRepo(), ev.GetSHA(), nil)
}
