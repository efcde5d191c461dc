package policy

import (
	"reflect"
	"testing"
)

func TestChangeRequest(t *testing.T) {
	p := mustParse(t, `version: 1
deployments:
  - environments: [production]
    require:
      change_request: {system: servicenow, states: [Scheduled, Implement], approved: true, within_window: true}
`)
	scheduled := func() TicketSnapshot {
		return TicketSnapshot{Key: "CHG0001234", System: SystemServiceNow, Read: TicketReadOK, Status: "Scheduled",
			PlannedStart: "2026-11-20T10:00:00Z", PlannedEnd: "2026-11-20T18:00:00Z",
			Approvals: []TicketApproval{{Decision: "approved", Approvers: []TicketApprover{{Name: "Dana", Decision: "approved", At: "2026-11-20T09:30:00Z"}}}}}
	}
	facts := func() DeploymentFacts {
		return DeploymentFacts{Environment: "production", SHA: sha3, Deployer: "rita", At: "2026-11-20T12:00:00Z",
			PullRequests: []DeployedPR{{Number: 42, Author: "alice", Title: "CHG0001234: rounding", Branch: "fix"}},
			Tickets:      map[string]TicketSnapshot{"CHG0001234": scheduled()}}
	}
	tests := []struct {
		name   string
		change func(*DeploymentFacts)
		state  DeploymentState
		out    Outcome
		reason string
	}{
		{name: "inside the window", state: DeploymentApproved, out: OutcomePass},
		{name: "at the window's start", change: func(f *DeploymentFacts) { f.At = "2026-11-20T10:00:00Z" }, state: DeploymentApproved, out: OutcomePass},
		{name: "after the window", change: func(f *DeploymentFacts) { f.At = "2026-11-20T18:00:01Z" }, state: DeploymentRejected, out: OutcomeFail,
			reason: "deployment at 2026-11-20 18:00 is outside CHG0001234's window 2026-11-20 10:00 to 2026-11-20 18:00"},
		{name: "before the window", change: func(f *DeploymentFacts) { f.At = "2026-11-20T09:59:00Z" }, state: DeploymentRejected, out: OutcomeFail},
		{name: "no window", change: func(f *DeploymentFacts) { s := scheduled(); s.PlannedEnd = ""; f.Tickets["CHG0001234"] = s },
			state: DeploymentRejected, out: OutcomeFail, reason: "CHG0001234 has no planned start and end"},
		{name: "state not allowed", change: func(f *DeploymentFacts) { s := scheduled(); s.Status = "Closed"; f.Tickets["CHG0001234"] = s },
			state: DeploymentRejected, out: OutcomeFail, reason: "CHG0001234 is Closed, not Scheduled or Implement"},
		{name: "not approved", change: func(f *DeploymentFacts) {
			s := scheduled()
			s.Approvals[0].Decision = "requested"
			f.Tickets["CHG0001234"] = s
		},
			state: DeploymentRejected, out: OutcomeFail, reason: "CHG0001234 is not approved (requested)"},
		{name: "ServiceNow unreachable", change: func(f *DeploymentFacts) {
			f.Tickets["CHG0001234"] = TicketSnapshot{Key: "CHG0001234", System: SystemServiceNow, Read: TicketReadUnreachable}
		}, state: DeploymentRejected, out: OutcomePending, reason: "ServiceNow unreachable, retrying"},
		{name: "no reference", change: func(f *DeploymentFacts) { f.PullRequests[0].Title = "rounding" }, state: DeploymentRejected, out: OutcomeFail,
			reason: "no change request matching CHG[0-9]{7} in the deployed pull requests #42"},
		{name: "reference in the body", change: func(f *DeploymentFacts) { f.PullRequests[0].Title, f.PullRequests[0].Body = "x", "see CHG0001234" },
			state: DeploymentApproved, out: OutcomePass},
		{name: "second PR's change is missing", change: func(f *DeploymentFacts) {
			f.PullRequests = append(f.PullRequests, DeployedPR{Number: 43, Branch: "CHG0000001-x"})
			f.Tickets["CHG0000001"] = TicketSnapshot{Key: "CHG0000001", System: SystemServiceNow, Read: TicketReadNotFound}
		}, state: DeploymentRejected, out: OutcomeFail, reason: "CHG0000001 does not exist in ServiceNow"},
		{name: "decision time unknown", change: func(f *DeploymentFacts) { f.At = "" }, state: DeploymentRejected, out: OutcomeFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := facts()
			if tc.change != nil {
				tc.change(&f)
			}
			d := EvaluateDeployment(p, f)
			if d.State != tc.state || d.Outcome != tc.out {
				t.Fatalf("%s/%s (%s), want %s/%s", d.State, d.Outcome, d.Reason, tc.state, tc.out)
			}
			q := d.Rules[0].Requirements[0]
			if q.Kind != KindChangeRequest {
				t.Fatalf("kind %s", q.Kind)
			}
			if tc.reason != "" && q.Reason != tc.reason {
				t.Errorf("reason %q\nwant   %q", q.Reason, tc.reason)
			}
		})
	}
}

func TestChangeRequestUsesTheTicketRulePattern(t *testing.T) {
	p := mustParse(t, `version: 1
rules:
  - name: ticket
    ticket: {pattern: 'CR-[0-9]+', verify: {system: jira}}
deployments:
  - environments: [production]
    require:
      change_request: {system: jira}
`)
	f := DeploymentFacts{Environment: "production", PullRequests: []DeployedPR{{Number: 1, Title: "CR-7 PAY-1"}}}
	if got, want := p.ChangeRequestRefs(f), []TicketRef{{System: SystemJira, Key: "CR-7"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("refs %v, want %v", got, want)
	}
	f.Environment = "staging"
	if got := p.ChangeRequestRefs(f); len(got) != 0 {
		t.Errorf("refs for an environment without change_request: %v", got)
	}
	// Merging keeps the link, and does not modify its inputs.
	m, err := Merge(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	f.Environment = "production"
	if got := m.ChangeRequestRefs(f); len(got) != 1 || got[0].Key != "CR-7" {
		t.Errorf("merged refs %v", got)
	}
}
