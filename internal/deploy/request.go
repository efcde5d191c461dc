package deploy

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Request is one deployment_protection_rule "requested" event, as the gate needs it.
type Request struct {
	DeliveryID     string
	Action         string // only "requested" asks for an answer
	InstallationID int64
	Owner, Repo    string
	DefaultBranch  string // the policy is read from here, never from the deployed ref
	Environment    string
	SHA            string // payload sha, else deployment.sha
	Ref            string // payload ref, else deployment.ref
	Event          string // what triggered the workflow: push, workflow_dispatch, ...
	CallbackURL    string
	Sender         string // the event's sender: the deployer
	SenderIsBot    bool
	Creator        string // deployment.creator: often github-actions[bot] in Actions
	CreatorIsBot   bool
	PullRequests   []*github.PullRequest // the payload's, possibly empty
}

// FullName is "owner/name".
func (r Request) FullName() string { return r.Owner + "/" + r.Repo }

// extraFields are what go-github v60's DeploymentProtectionRuleEvent lacks.
type extraFields struct {
	SHA string `json:"sha"`
	Ref string `json:"ref"`
}

// DecodeRequest parses a deployment_protection_rule payload. go-github v60 has the event
// but not its sha and ref, so the payload is read twice.
func DecodeRequest(deliveryID string, payload []byte) (Request, error) {
	var ev github.DeploymentProtectionRuleEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return Request{}, fmt.Errorf("decode deployment_protection_rule payload: %w", err)
	}
	var extra extraFields
	if err := json.Unmarshal(payload, &extra); err != nil {
		return Request{}, fmt.Errorf("decode deployment_protection_rule sha and ref: %w", err)
	}
	repo := ev.GetRepo()
	owner := repo.GetOwner().GetLogin()
	if owner == "" {
		owner, _, _ = strings.Cut(repo.GetFullName(), "/")
	}
	d := ev.GetDeployment()
	r := Request{
		DeliveryID: deliveryID, Action: ev.GetAction(), InstallationID: ev.GetInstallation().GetID(),
		Owner: owner, Repo: repo.GetName(), DefaultBranch: repo.GetDefaultBranch(),
		Environment: ev.GetEnvironment(), SHA: extra.SHA, Ref: extra.Ref, Event: ev.GetEvent(),
		CallbackURL: ev.GetDeploymentCallbackURL(),
		Sender:      ev.GetSender().GetLogin(), SenderIsBot: ev.GetSender().GetType() == "Bot",
		Creator: d.GetCreator().GetLogin(), CreatorIsBot: d.GetCreator().GetType() == "Bot",
		PullRequests: ev.PullRequests,
	}
	if r.SHA == "" {
		r.SHA = d.GetSHA()
	}
	if r.Ref == "" {
		r.Ref = d.GetRef()
	}
	switch {
	case r.Environment == "":
		return r, fmt.Errorf("deployment_protection_rule without environment")
	case r.Owner == "" || r.Repo == "":
		return r, fmt.Errorf("deployment_protection_rule without repository")
	case r.InstallationID == 0:
		return r, fmt.Errorf("deployment_protection_rule without installation")
	}
	return r, nil
}
