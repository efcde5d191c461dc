package health

import (
	"encoding/json"
	"fmt"
)

// Rule is one rule in force on a branch, as GET /repos/{o}/{r}/rules/branches/{branch}
// returns it. Decoded with these structs rather than go-github's, which fails the whole
// response on a rule type it does not know and drops ruleset_id.
type Rule struct {
	Type              string          `json:"type"`
	RulesetSourceType string          `json:"ruleset_source_type"`
	RulesetSource     string          `json:"ruleset_source"`
	RulesetID         int64           `json:"ruleset_id"`
	Parameters        json.RawMessage `json:"parameters,omitempty"`
}

// RequiredCheck is one required status check of a required_status_checks rule;
// IntegrationID nil means any source may satisfy it.
type RequiredCheck struct {
	Context       string `json:"context"`
	IntegrationID *int64 `json:"integration_id,omitempty"`
}

type requiredChecksParams struct {
	RequiredStatusChecks []RequiredCheck `json:"required_status_checks"`
}

// Rule types the classification reads; every other type is kept and ignored.
const (
	RuleRequiredStatusChecks = "required_status_checks"
	RulePullRequest          = "pull_request"
)

// maxRules bounds a rules response: GitHub caps rulesets far below this.
const maxRules = 10_000

// ParseRules decodes a rules response. A rule whose parameters do not decode is an error
// only for the types the classification reads.
func ParseRules(body []byte) ([]Rule, error) {
	var rules []Rule
	if err := json.Unmarshal(body, &rules); err != nil {
		return nil, fmt.Errorf("decode branch rules: %w", err)
	}
	if len(rules) > maxRules {
		return nil, fmt.Errorf("branch rules: %d rules", len(rules))
	}
	for _, r := range rules {
		if r.Type == RuleRequiredStatusChecks {
			if _, err := r.RequiredChecks(); err != nil {
				return nil, err
			}
		}
	}
	return rules, nil
}

// RequiredChecks are the checks a required_status_checks rule requires (nil for other
// rules).
func (r Rule) RequiredChecks() ([]RequiredCheck, error) {
	if r.Type != RuleRequiredStatusChecks {
		return nil, nil
	}
	var p requiredChecksParams
	if len(r.Parameters) > 0 && string(r.Parameters) != "null" {
		if err := json.Unmarshal(r.Parameters, &p); err != nil {
			return nil, fmt.Errorf("decode required_status_checks parameters of ruleset %d: %w", r.RulesetID, err)
		}
	}
	return p.RequiredStatusChecks, nil
}
