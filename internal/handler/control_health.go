package handler

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/foureyes/foureyes/internal/health"
)

// ControlHealth probes a repository's control state when its rules may have changed: a
// ruleset or classic protection rule was created, edited or deleted, or its default branch
// changed. One handler for the three events, which carry the same envelope.
type ControlHealth struct {
	*Base
	Prober *health.Prober
}

func (h *ControlHealth) Handles() []string {
	return []string{"repository_ruleset", "branch_protection_rule", "repository"}
}

// envelope is the part of the three events the probe needs.
type envelope struct {
	Action     string `json:"action"`
	Repository *struct {
		Name  string `json:"name"`
		Owner struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	Installation struct {
		ID int64 `json:"id"`
	} `json:"installation"`
	Changes struct {
		DefaultBranch *json.RawMessage `json:"default_branch"`
	} `json:"changes"`
}

func (h *ControlHealth) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev envelope
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	if ev.Installation.ID == 0 {
		return nil
	}
	if ev.Repository == nil {
		if eventType != "repository_ruleset" {
			return nil
		}
		// An org ruleset applies to many repositories: probe every one of the installation.
		n, err := h.Prober.ProbeInstallation(ctx, ev.Installation.ID, deliveryID)
		if err != nil {
			return fmt.Errorf("probe control health of installation %d: %w", ev.Installation.ID, err)
		}
		Log(ctx).Debug().Int("probed", n).Msg("org ruleset changed: control health probed")
		return nil
	}
	if eventType == "repository" && (ev.Action != "edited" || ev.Changes.DefaultBranch == nil) {
		return nil // only a change of default branch moves the protected branch
	}
	p, err := h.Prober.Probe(ctx, ev.Installation.ID, ev.Repository.Owner.Login, ev.Repository.Name, deliveryID)
	if err != nil {
		return fmt.Errorf("probe control health: %w", err)
	}
	Log(ctx).Debug().Str("state", string(p.Result.State)).Bool("changed", p.Record != nil).Msg("control health probed")
	return nil
}
