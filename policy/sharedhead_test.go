package policy

import (
	"strings"
	"testing"
)

func TestSharedHeadShowsWorst(t *testing.T) {
	pass := &Decision{Outcome: OutcomePass, Title: "1 rule passes", Rules: []RuleResult{}}
	neutral := &Decision{Outcome: OutcomePass, NoRuleApplied: true, Title: "no rule applies to this change", Rules: []RuleResult{}}
	pending := &Decision{Outcome: OutcomePending, Title: "needs 1 approval", Rules: []RuleResult{}}
	fail := &Decision{Outcome: OutcomeFail, Title: "check build failure", Rules: []RuleResult{}}
	perr := &Decision{Outcome: OutcomeError, Title: "policy error", Rules: []RuleResult{}}
	tests := []struct {
		name    string
		self    HeadDecision
		others  []HeadDecision
		want    Outcome
		noRule  bool
		worstPR string
	}{
		{name: "alone: unchanged", self: HeadDecision{PR: 2, Base: "dev", Decision: neutral}, want: OutcomePass, noRule: true},
		{name: "neutral beside pending is pending", self: HeadDecision{PR: 2, Base: "dev", Decision: neutral},
			others: []HeadDecision{{PR: 1, Base: "main", Decision: pending}}, want: OutcomePending, worstPR: "#1"},
		{name: "undecided other is pending", self: HeadDecision{PR: 2, Base: "dev", Decision: pass},
			others: []HeadDecision{{PR: 1, Base: "main"}}, want: OutcomePending, worstPR: "#1"},
		{name: "fail beats pending", self: HeadDecision{PR: 1, Base: "main", Decision: pending},
			others: []HeadDecision{{PR: 3, Base: "x", Decision: fail}, {PR: 2, Base: "y", Decision: pass}}, want: OutcomeFail, worstPR: "#3"},
		{name: "error beats all", self: HeadDecision{PR: 1, Base: "main", Decision: fail},
			others: []HeadDecision{{PR: 2, Base: "y", Decision: perr}}, want: OutcomeFail, worstPR: "#1"},
		{name: "neutral is worse than success", self: HeadDecision{PR: 1, Base: "main", Decision: pass},
			others: []HeadDecision{{PR: 2, Base: "dev", Decision: neutral}}, want: OutcomePass, noRule: true, worstPR: "#2"},
		{name: "two passes pass", self: HeadDecision{PR: 1, Base: "main", Decision: pass},
			others: []HeadDecision{{PR: 2, Base: "release", Decision: pass}}, want: OutcomePass, worstPR: "#1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := SharedHead(tc.self, tc.others)
			if d.Outcome != tc.want || d.NoRuleApplied != tc.noRule {
				t.Fatalf("outcome %s (no rule %v), want %s (%v): %s", d.Outcome, d.NoRuleApplied, tc.want, tc.noRule, d.Title)
			}
			if tc.worstPR == "" {
				if len(d.Rules) != 0 {
					t.Errorf("alone: no shared-head rule expected")
				}
				return
			}
			if !strings.Contains(d.Title, tc.worstPR+", worst of") {
				t.Errorf("title %q should name %s as the worst", d.Title, tc.worstPR)
			}
			txt := allText(d)
			for _, h := range append([]HeadDecision{tc.self}, tc.others...) {
				if !strings.Contains(txt, "#"+itoa(h.PR)+" to "+h.Base) {
					t.Errorf("text should list #%d:\n%s", h.PR, txt)
				}
			}
		})
	}
}
