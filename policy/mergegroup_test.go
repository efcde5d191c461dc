package policy

import (
	"strings"
	"testing"
)

func TestMergeGroupWithSeveralPRsDecision(t *testing.T) {
	pass := Decision{Outcome: OutcomePass, Title: "1 rule passes"}
	pending := Decision{Outcome: OutcomePending, Title: "needs 1 approval"}
	tests := []struct {
		name  string
		facts MergeGroupFacts
		want  Outcome
		title string
	}{
		{name: "every PR passes", facts: MergeGroupFacts{PRs: []GroupPR{{Number: 1, Decision: pass}, {Number: 2, Decision: pass}}},
			want: OutcomePass, title: "all 2 pull request(s) in the group pass"},
		{name: "an earlier PR of the group is pending", facts: MergeGroupFacts{PRs: []GroupPR{{Number: 1, Decision: pending}, {Number: 2, Decision: pass}}},
			want: OutcomeFail, title: "not approved: #1"},
		{name: "no PR found", facts: MergeGroupFacts{}, want: OutcomeFail, title: "cannot tell which pull requests"},
		{name: "a commit nobody judged", facts: MergeGroupFacts{PRs: []GroupPR{{Number: 2, Decision: pass}}, Unattributed: []string{sha1}},
			want: OutcomeFail, title: "belong to no pull request of it: a100000"},
		{name: "commits not all listed", facts: MergeGroupFacts{PRs: []GroupPR{{Number: 2, Decision: pass}}, Incomplete: "over 250 commits"},
			want: OutcomeFail, title: "cannot list the commits of the group: over 250 commits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := MergeGroup(tc.facts)
			if d.Outcome != tc.want || !strings.Contains(d.Title, tc.title) {
				t.Errorf("got %s %q, want %s %q", d.Outcome, d.Title, tc.want, tc.title)
			}
		})
	}
}
