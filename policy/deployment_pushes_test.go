package policy

import (
	"strings"
	"testing"
)

// TestApprovedChangeDirectPushes: a direct push in the deployed history blocks
// approved_change until someone other than the pusher clears it with an "explained" or
// "remediated" review note; every listed push is in the evidence.
func TestApprovedChangeDirectPushes(t *testing.T) {
	p := mustParse(t, "version: 1\ndeployments:\n  - environments: [production]\n    require: {approved_change: true}\n")
	push := func(sha, pusher string, seq int64, notes ...DirectPushNote) DeployedDirectPush {
		return DeployedDirectPush{SHA: sha, Pusher: pusher, ViolationSeq: seq, Commits: []string{sha}, Notes: notes}
	}
	note := func(seq int64, author, disp string) DirectPushNote {
		return DirectPushNote{Seq: seq, Author: author, Disposition: disp}
	}
	const x, y = "d100000000000000000000000000000000000001", "d200000000000000000000000000000000000002"
	tests := []struct {
		name     string
		pushes   []DeployedDirectPush
		state    DeploymentState
		reason   string   // the requirement's reason contains it
		evidence []string // the Result of each direct_push evidence entry, in order
	}{
		{name: "no direct push", pushes: []DeployedDirectPush{}, state: DeploymentApproved, reason: "#42 merged with a passing decision"},
		{name: "missing field (an older record)", pushes: nil, state: DeploymentApproved, reason: "#42 merged with a passing decision"},
		{name: "an uncleared push", pushes: []DeployedDirectPush{push(x, "mallory", 12)}, state: DeploymentRejected,
			reason:   "direct push d100000 by mallory (violation record #12) is in the deployed history and was never reviewed: clear it with a review note explained or remediated on violation record #12 in the console, by someone other than mallory",
			evidence: []string{"not cleared"}},
		{name: "cleared by explained", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "audrey", NoteExplained))},
			state: DeploymentApproved, reason: "direct pushes in the history cleared: d100000 by mallory (explained in review note #15)",
			evidence: []string{"explained"}},
		{name: "cleared by remediated", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "audrey", NoteRemediated))},
			state: DeploymentApproved, reason: "remediated in review note #15", evidence: []string{"remediated"}},
		{name: "a deficiency note does not clear", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "audrey", NoteDeficiency))},
			state: DeploymentRejected, reason: "direct push d100000 by mallory (violation record #12)", evidence: []string{"not cleared"}},
		{name: "the pusher's own note does not clear", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "Mallory", NoteExplained))},
			state: DeploymentRejected, reason: "by someone other than mallory", evidence: []string{"not cleared"}},
		{name: "a note without author does not clear", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "", NoteExplained))},
			state: DeploymentRejected, reason: "was never reviewed", evidence: []string{"not cleared"}},
		{name: "a later note clears after a deficiency", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "audrey", NoteDeficiency), note(16, "olga", NoteRemediated))},
			state: DeploymentApproved, reason: "remediated in review note #16", evidence: []string{"remediated"}},
		{name: "two pushes, one cleared", pushes: []DeployedDirectPush{push(x, "mallory", 12, note(15, "audrey", NoteExplained)), push(y, "root", 20)},
			state: DeploymentRejected, reason: "direct push d200000 by root (violation record #20)", evidence: []string{"explained", "not cleared"}},
		{name: "two pushes, none cleared", pushes: []DeployedDirectPush{push(x, "mallory", 12), push(y, "root", 20)},
			state: DeploymentRejected, reason: "direct push d100000 by mallory (violation record #12) is in the deployed history and was never reviewed: clear it with a review note explained or remediated on violation record #12 in the console, by someone other than mallory (and 1 more)",
			evidence: []string{"not cleared", "not cleared"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := DeploymentFacts{Environment: "production", SHA: sha3, Deployer: "rita", DirectPushes: tc.pushes,
				PullRequests: []DeployedPR{{Number: 42, Author: "alice", Merged: true, MergeOutcome: "pass", MergedHeadSHA: sha2,
					EvaluatedFresh: true, MergeCommitSHA: sha3}}}
			d := EvaluateDeployment(p, f)
			if d.State != tc.state {
				t.Errorf("state %s, want %s\n%s", d.State, tc.state, d.JSON())
			}
			q := d.Rules[0].Requirements[0]
			if q.Kind != KindApprovedChange || !strings.Contains(q.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", q.Reason, tc.reason)
			}
			var got []string
			for _, ev := range q.Evidence {
				if ev.Kind == EvidenceDirectPush {
					got = append(got, ev.Result)
					if ev.Source == "" || ev.SHA == "" || ev.Text == "" {
						t.Errorf("direct push evidence lacks its record, SHA or text: %+v", ev)
					}
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.evidence, ",") {
				t.Errorf("direct push evidence %q, want %q\n%s", got, tc.evidence, d.JSON())
			}
		})
	}
}
