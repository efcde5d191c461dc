package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// Outcome is the overall result of evaluating a policy against a change.
type Outcome string

// Outcomes. pending means "not yet": a reviewer or a check is still to act.
const (
	OutcomePass    Outcome = "pass"
	OutcomeFail    Outcome = "fail"
	OutcomePending Outcome = "pending"
	OutcomeError   Outcome = "error"
)

// Status is the result of one rule or requirement.
type Status string

// Statuses of rules and requirements; skipped is for rules that do not apply.
const (
	StatusPass    Status = "pass"
	StatusFail    Status = "fail"
	StatusPending Status = "pending"
	StatusSkipped Status = "skipped"
)

// Requirement kinds.
const (
	KindDraft     = "draft"
	KindApprovals = "approvals"
	KindChecks    = "checks"
	KindTicket    = "ticket"
	// Deployment requirement kinds.
	KindApprovedChange      = "approved_change"
	KindIndependentDeployer = "independent_deployer"
)

// Decision is the result of Evaluate: a tree of outcome, rules and requirements with
// the evidence behind each. Its JSON is hashed into the audit log, so every slice is
// built in a stable order and JSON() is byte-for-byte deterministic.
type Decision struct {
	Outcome      Outcome `json:"outcome"`
	Title        string  `json:"title"`
	PolicyDigest string  `json:"policy_digest,omitempty"`
	// NoRuleApplied marks a pass that comes from no rule applying, which the check run
	// shows as neutral rather than success.
	NoRuleApplied bool         `json:"no_rule_applied,omitempty"`
	Rules         []RuleResult `json:"rules"`
	// Errors holds FILE:LINE:COL: message lines when Outcome is error.
	Errors []string `json:"errors,omitempty"`
	// Emergency lists the emergency declarations on the PR and what became of them.
	Emergency *EmergencyResult `json:"emergency,omitempty"`
}

// RuleResult is one rule of the policy and what became of it.
type RuleResult struct {
	Name         string              `json:"name"`
	Origin       Origin              `json:"origin,omitempty"`
	Status       Status              `json:"status"`
	Reason       string              `json:"reason"`
	Requirements []RequirementResult `json:"requirements"`
}

// RequirementResult is one requirement of a rule.
type RequirementResult struct {
	Kind     string     `json:"kind"`
	Status   Status     `json:"status"`
	Reason   string     `json:"reason"`
	Evidence []Evidence `json:"evidence"`
}

// Evidence is one fact that counted for or against a requirement, with a sentence a
// developer or auditor can read without the facts at hand.
type Evidence struct {
	// Kind: approval (counted), not_counted, changes_requested, check, ticket.
	Kind    string `json:"kind"`
	Subject string `json:"subject"`          // a login, a check name, or a ticket reference
	SHA     string `json:"sha,omitempty"`    // the commit a review or check was given on
	Source  string `json:"source,omitempty"` // app or status creator, or where a ticket was found
	Result  string `json:"result,omitempty"` // a check's conclusion or state
	Text    string `json:"text"`
}

// Evidence kinds.
const (
	EvidenceApproval         = "approval"
	EvidenceNotCounted       = "not_counted"
	EvidenceChangesRequested = "changes_requested"
	EvidenceCheck            = "check"
	EvidenceTicket           = "ticket"
)

// JSON encodes the decision deterministically (fields in declaration order, slices in
// evaluation order, no maps, no HTML escaping) for hashing into the audit log.
func (d Decision) JSON() []byte {
	return marshal(d)
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // only strings, bools and slices of structs: cannot fail
	return buf.Bytes()
}

// ErrorDecision is the decision for a policy that could not be parsed or merged: the
// outcome is error and the positions are in the title and Errors, so the check run
// tells the repo admin where to look.
func ErrorDecision(err error) Decision {
	d := Decision{Outcome: OutcomeError, Rules: []RuleResult{}}
	var es Errors
	if errors.As(err, &es) && len(es) > 0 {
		for _, e := range es {
			d.Errors = append(d.Errors, e.Error())
		}
		n := len(es)
		if n == 1 {
			d.Title = "policy error: " + es[0].Error()
		} else {
			d.Title = "policy has " + strconv.Itoa(n) + " errors, first: " + es[0].Error()
		}
		return d
	}
	msg := "unknown error"
	if err != nil {
		msg = err.Error()
	}
	d.Errors = []string{msg}
	d.Title = "policy error: " + msg
	return d
}
