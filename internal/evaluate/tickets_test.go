package evaluate

import (
	"testing"

	"github.com/foureyes/foureyes/policy"
)

func TestWaitsOnTicket(t *testing.T) {
	req := func(kind string, st policy.Status) policy.Decision {
		return policy.Decision{Outcome: policy.OutcomeFail, Rules: []policy.RuleResult{{Requirements: []policy.RequirementResult{
			{Kind: policy.KindApprovals, Status: policy.StatusPending}, {Kind: kind, Status: st}}}}}
	}
	for _, tc := range []struct {
		name string
		d    policy.Decision
		want bool
	}{
		{"ticket not approved", req(policy.KindTicket, policy.StatusFail), true},
		{"ticket unreachable", req(policy.KindTicket, policy.StatusPending), true},
		{"ticket fine, approval missing", req(policy.KindTicket, policy.StatusPass), false},
		{"no ticket requirement", req(policy.KindChecks, policy.StatusFail), false},
		{"pass", policy.Decision{Outcome: policy.OutcomePass}, false},
	} {
		if got := waitsOnTicket(tc.d); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
