package deploy

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/facts"
)

// Deployer is who is held responsible for a deployment, and how the gate knows.
type Deployer struct {
	Login  string `json:"login"`
	Person bool   `json:"person"`
	// Source says where Login came from: "sender", "deployment.creator",
	// "workflow_run.triggering_actor" or "workflow_run.actor".
	Source string `json:"source"`
	// Note says why no person was found, when none was.
	Note string `json:"note,omitempty"`
}

// isPerson: ghost (a deleted account) and bots cannot be independent of anything.
func isPerson(login string, bot bool) bool {
	return login != "" && !bot && !strings.EqualFold(login, "ghost") && !strings.HasSuffix(login, "[bot]")
}

// resolveDeployer names the deployer: the event's sender, else the deployment's creator
// (in Actions the creator is usually github-actions[bot], so it is only the fallback).
// When that is not a person, the person who triggered the workflow run is the deployer:
// a bot deploying on someone's behalf must not hide who that someone is. When no person
// can be found the returned Deployer is not a Person and the policy rejects it.
func resolveDeployer(ctx context.Context, client *github.Client, r Request, runID int64) (Deployer, error) {
	d := Deployer{Login: r.Sender, Person: isPerson(r.Sender, r.SenderIsBot), Source: "sender"}
	if r.Sender == "" {
		d = Deployer{Login: r.Creator, Person: isPerson(r.Creator, r.CreatorIsBot), Source: "deployment.creator"}
	}
	if d.Person {
		return d, nil
	}
	run, resp, err := client.Actions.GetWorkflowRunByID(ctx, r.Owner, r.Repo, runID)
	if err != nil {
		if facts.IsTransient(err) {
			return Deployer{}, fmt.Errorf("workflow run %d of %s: %w", runID, r.FullName(), err)
		}
		d.Note = fmt.Sprintf("%s is not a person and workflow run %d could not be read (%s)", orGhost(d.Login), runID, statusText(resp))
		return d, nil
	}
	for _, c := range []struct {
		u   *github.User
		src string
	}{{run.GetTriggeringActor(), "workflow_run.triggering_actor"}, {run.GetActor(), "workflow_run.actor"}} {
		if isPerson(c.u.GetLogin(), c.u.GetType() == "Bot") {
			return Deployer{Login: c.u.GetLogin(), Person: true, Source: c.src,
				Note: fmt.Sprintf("%s deployed on behalf of %s, who triggered workflow run %d", orGhost(d.Login), c.u.GetLogin(), runID)}, nil
		}
	}
	d.Note = fmt.Sprintf("%s is not a person and nor is anyone who triggered workflow run %d", orGhost(d.Login), runID)
	return d, nil
}

func orGhost(login string) string {
	if login == "" {
		return "ghost"
	}
	return login
}

func statusText(resp *github.Response) string {
	if resp == nil {
		return "no answer"
	}
	return fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
}
