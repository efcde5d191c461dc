package handler

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/deploy"
	"github.com/foureyes/foureyes/internal/store"
)

// DeploymentEvents records deployment, deployment_status and deployment_review in the
// audit log, so a trace of a SHA shows who deployed it, where, when, how it went, and
// which person approved the environment (next to foureyes' own gate decision).
type DeploymentEvents struct{ *Base }

func (h *DeploymentEvents) Handles() []string {
	return []string{"deployment", "deployment_status", "deployment_review"}
}

// deploymentEventDetails is the evidence of one deployment event.
type deploymentEventDetails struct {
	Event        string `json:"event"`
	Environment  string `json:"environment"`
	State        string `json:"state,omitempty"`
	Ref          string `json:"ref,omitempty"`
	Creator      string `json:"creator,omitempty"`
	Approver     string `json:"approver,omitempty"`
	Comment      string `json:"comment,omitempty"`
	URL          string `json:"url,omitempty"`
	DeploymentID int64  `json:"deployment_id,omitempty"`
	RunID        int64  `json:"run_id,omitempty"`
}

// deploymentReviewEvent is deployment_review, which go-github v60 lacks.
type deploymentReviewEvent struct {
	Action       string               `json:"action"`
	Environment  string               `json:"environment"`
	Approver     *github.User         `json:"approver"`
	Comment      string               `json:"comment"`
	Requestor    *github.User         `json:"requestor"`
	Sender       *github.User         `json:"sender"`
	Repo         *github.Repository   `json:"repository"`
	Installation *github.Installation `json:"installation"`
	WorkflowRun  struct {
		ID      int64  `json:"id"`
		HeadSHA string `json:"head_sha"`
		HTMLURL string `json:"html_url"`
	} `json:"workflow_run"`
	WorkflowJobRuns []struct {
		Environment string `json:"environment"`
	} `json:"workflow_job_runs"`
	WorkflowJobRun struct {
		Environment string `json:"environment"`
	} `json:"workflow_job_run"`
}

func (h *DeploymentEvents) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	rec := store.Record{Kind: store.KindDeploymentEvent, DeliveryID: deliveryID}
	var d deploymentEventDetails
	switch eventType {
	case "deployment":
		var ev github.DeploymentEvent
		if err := decode(eventType, payload, &ev); err != nil {
			return err
		}
		dep := ev.GetDeployment()
		d = deploymentDetails(eventType, dep, ev.GetWorkflowRun().GetID())
		rec.Installation, rec.Repository = ev.GetInstallation().GetID(), ev.GetRepo().GetFullName()
		rec.SHA, rec.Actor, rec.Outcome = dep.GetSHA(), firstLogin(ev.GetSender(), dep.GetCreator()), "created"
	case "deployment_status":
		var ev github.DeploymentStatusEvent
		if err := decode(eventType, payload, &ev); err != nil {
			return err
		}
		dep, st := ev.GetDeployment(), ev.GetDeploymentStatus()
		d = deploymentDetails(eventType, dep, 0)
		d.State, d.Creator = st.GetState(), st.GetCreator().GetLogin()
		if u := st.GetTargetURL(); u != "" {
			d.URL = u
		}
		if st.GetEnvironment() != "" {
			d.Environment = st.GetEnvironment()
		}
		rec.Installation, rec.Repository = ev.GetInstallation().GetID(), ev.GetRepo().GetFullName()
		rec.SHA, rec.Actor, rec.Outcome = dep.GetSHA(), firstLogin(ev.GetSender(), st.GetCreator()), st.GetState()
	case "deployment_review":
		var ev deploymentReviewEvent
		if err := decode(eventType, payload, &ev); err != nil {
			return err
		}
		d = deploymentEventDetails{Event: eventType, Environment: ev.Environment, State: ev.Action,
			Approver: ev.Approver.GetLogin(), Comment: ev.Comment, URL: ev.WorkflowRun.HTMLURL, RunID: ev.WorkflowRun.ID,
			Creator: ev.Requestor.GetLogin()}
		for _, env := range append([]string{ev.WorkflowJobRun.Environment}, jobEnvironments(ev)...) {
			if d.Environment == "" {
				d.Environment = env
			}
		}
		rec.Installation, rec.Repository = ev.Installation.GetID(), ev.Repo.GetFullName()
		rec.SHA, rec.Actor, rec.Outcome = ev.WorkflowRun.HeadSHA, firstLogin(ev.Approver, ev.Sender), ev.Action
	default:
		return fmt.Errorf("deployment events: unexpected event %q", eventType)
	}
	// Group with the gate's decision on the same run and environment when the run is known.
	switch {
	case d.RunID != 0:
		rec.Subject = deploy.Subject(d.RunID, d.Environment)
	case d.DeploymentID != 0:
		rec.Subject = fmt.Sprintf("deployment:%d", d.DeploymentID)
	}
	Log(ctx).Info().Str("event", eventType).Str("environment", d.Environment).Str("github_sha", rec.SHA).
		Str("actor", rec.Actor).Str("outcome", rec.Outcome).Msg("deployment event recorded")
	return h.audit(ctx, rec, d)
}

func deploymentDetails(event string, dep *github.Deployment, runID int64) deploymentEventDetails {
	return deploymentEventDetails{Event: event, Environment: dep.GetEnvironment(), Ref: dep.GetRef(),
		Creator: dep.GetCreator().GetLogin(), URL: dep.GetURL(), DeploymentID: dep.GetID(), RunID: runID}
}

func jobEnvironments(ev deploymentReviewEvent) []string {
	out := make([]string, 0, len(ev.WorkflowJobRuns))
	for _, j := range ev.WorkflowJobRuns {
		out = append(out, j.Environment)
	}
	return out
}

// firstLogin is the login of the first user that is set.
func firstLogin(users ...*github.User) string {
	for _, u := range users {
		if u.GetLogin() != "" {
			return u.GetLogin()
		}
	}
	return ""
}
