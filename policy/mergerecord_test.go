package policy

import (
	"strings"
	"testing"
)

func TestJudgeMerge(t *testing.T) {
	const head, other = "h100000000000000000000000000000000000001", "h200000000000000000000000000000000000002"
	dec := func(sha, base, outcome string) *MergeDecision {
		return &MergeDecision{Seq: 7, SHA: sha, BaseRef: base, Outcome: outcome}
	}
	tests := []struct {
		name      string
		decision  *MergeDecision
		outcome   string
		violation string // substring; "" = none
	}{
		{name: "pass for head and base", decision: dec(head, "main", "pass"), outcome: "pass"},
		{name: "no decision", outcome: "none", violation: "without any foureyes decision"},
		{name: "pass on another head", decision: dec(other, "main", "pass"), outcome: "stale", violation: "last decision was on h200000"},
		{name: "pass made for another base (retargeted)", decision: dec(head, "dev", "pass"), outcome: "stale", violation: "made for dev"},
		{name: "base unknown", decision: dec(head, "", "pass"), outcome: "stale", violation: "unknown"},
		{name: "pending", decision: dec(head, "main", "pending"), outcome: "pending", violation: "was pending"},
		{name: "policy error", decision: dec(head, "main", "error"), outcome: "error", violation: "was error"},
		{name: "judged at merge, pending", decision: &MergeDecision{SHA: head, BaseRef: "main", Outcome: "pending", JudgedAtMerge: true},
			outcome: "pending", violation: "judged at the merge"},
		{name: "judged at merge, pass", decision: &MergeDecision{SHA: head, BaseRef: "main", Outcome: "pass", JudgedAtMerge: true}, outcome: "pass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := JudgeMerge(MergeFacts{HeadSHA: head, BaseRef: "main", Decision: tc.decision})
			if v.Outcome != tc.outcome {
				t.Errorf("outcome %q, want %q", v.Outcome, tc.outcome)
			}
			if (tc.violation == "") != (v.Violation == "") || !strings.Contains(v.Violation, tc.violation) {
				t.Errorf("violation %q, want one containing %q", v.Violation, tc.violation)
			}
		})
	}
}
