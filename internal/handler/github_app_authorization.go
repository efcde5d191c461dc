package handler

import (
	"context"

	"github.com/google/go-github/v60/github"
)

// AppAuthorization handles github_app_authorization: a user revoked their authorization
// of the app, so every console session they hold ends now (apps cannot unsubscribe from
// this event; it needs no installation).
type AppAuthorization struct{ *Base }

func (h *AppAuthorization) Handles() []string { return []string{"github_app_authorization"} }

func (h *AppAuthorization) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.GitHubAppAuthorizationEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	if ev.GetAction() != "revoked" || ev.GetSender().GetID() == 0 {
		return nil
	}
	n, err := h.Store.DeleteUserSessions(ctx, ev.GetSender().GetID())
	if err != nil {
		return err
	}
	Log(ctx).Info().Str("login", ev.GetSender().GetLogin()).Int64("sessions", n).Msg("authorization revoked: console sessions ended")
	return nil
}
