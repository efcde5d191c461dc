package deploy

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// answerBody is what GitHub's deployment protection rule callback takes.
type answerBody struct {
	EnvironmentName string `json:"environment_name"`
	State           string `json:"state"`
	Comment         string `json:"comment"`
}

// answer approves or rejects the deployment. go-github v60 has no method for this
// endpoint, so it is a raw request to the callback URL, which CheckCallback has already
// confirmed is on the configured API host (v60's NewRequest accepts an absolute URL). A
// 5xx comes back as a *github.ErrorResponse, which facts.IsTransient retries.
func answer(ctx context.Context, client *github.Client, callbackURL, env string, state policy.DeploymentState, comment string) error {
	req, err := client.NewRequest("POST", callbackURL, answerBody{EnvironmentName: env, State: string(state), Comment: comment})
	if err != nil {
		return fmt.Errorf("build deployment answer for %s: %w", env, err)
	}
	if _, err := client.Do(ctx, req, nil); err != nil {
		return fmt.Errorf("answer deployment protection rule (%s, %s): %w", env, state, err)
	}
	return nil
}
