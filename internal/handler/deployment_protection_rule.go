package handler

import (
	"context"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/deploy"
)

// DeploymentProtectionRule handles deployment_protection_rule: foureyes is enabled as a
// custom protection rule on an environment, and GitHub waits for its approval before a
// workflow job deploys there. The gate decides, records, then answers.
type DeploymentProtectionRule struct {
	*Base
	Gate *deploy.Gate
}

func (h *DeploymentProtectionRule) Handles() []string { return []string{"deployment_protection_rule"} }

func (h *DeploymentProtectionRule) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	r, err := deploy.DecodeRequest(deliveryID, payload)
	if err != nil {
		return err
	}
	if r.Action != "requested" {
		return nil
	}
	logger := Log(ctx).With().Int64(githubapp.LogKeyInstallationID, r.InstallationID).
		Str(githubapp.LogKeyRepositoryOwner, r.Owner).Str(githubapp.LogKeyRepositoryName, r.Repo).Logger()
	return h.Gate.Handle(logger.WithContext(ctx), r)
}
