package policy

import "testing"

// TestLaterStatusMasksFailedCheck: a result from one source (a commit status the PR author
// posts) must never hide another source's failure (the Actions build), and a pinned app's
// statuses count only from its bot account.
func TestLaterStatusMasksFailedCheck(t *testing.T) {
	unpinned := rulePolicy("    checks: [build]\n")
	pinned := rulePolicy("    checks: [{name: build, app: github-actions}]\n")
	tests := []struct {
		name   string
		policy string
		checks []Check
		want   Outcome
	}{
		{name: "author status after Actions failure", policy: unpinned, checks: []Check{
			run(1, "build", "github-actions", "completed", "failure", "10:00:00"),
			status(2, "build", "alice", "success", "10:05:00"),
		}, want: OutcomeFail},
		{name: "author check run after Actions failure", policy: unpinned, checks: []Check{
			run(1, "build", "github-actions", "completed", "failure", "10:00:00"),
			run(9, "build", "alice-ci", "completed", "success", "10:05:00"),
		}, want: OutcomeFail},
		{name: "status failure, then another creator's success", policy: unpinned, checks: []Check{
			status(1, "build", "jenkins", "failure", "10:00:00"),
			status(2, "build", "alice", "success", "10:05:00"),
		}, want: OutcomeFail},
		{name: "one source still running", policy: unpinned, checks: []Check{
			run(1, "build", "github-actions", "in_progress", "", "10:00:00"),
			status(2, "build", "jenkins", "success", "10:05:00"),
		}, want: OutcomePending},
		{name: "rerun of the same source after failure passes", policy: unpinned, checks: []Check{
			run(1, "build", "github-actions", "completed", "failure", "10:00:00"),
			run(2, "build", "github-actions", "completed", "success", "10:05:00"),
			status(3, "build", "jenkins", "success", "10:06:00"),
		}, want: OutcomePass},
		{name: "newer status of the same creator wins", policy: unpinned, checks: []Check{
			status(1, "build", "jenkins", "failure", "10:00:00"),
			status(2, "build", "jenkins", "success", "10:05:00"),
		}, want: OutcomePass},
		{name: "pinned: user named like the app slug is not the app", policy: pinned, checks: []Check{
			status(1, "build", "github-actions", "success", "10:00:00"),
		}, want: OutcomePending},
		{name: "pinned: user named like the slug cannot mask the app's failure", policy: pinned, checks: []Check{
			run(1, "build", "github-actions", "completed", "failure", "10:00:00"),
			status(2, "build", "github-actions", "success", "10:05:00"),
		}, want: OutcomeFail},
		{name: "pinned: the app's bot status counts", policy: pinned, checks: []Check{
			status(1, "build", "github-actions[bot]", "success", "10:00:00"),
		}, want: OutcomePass},
		{name: "pinned: the app's bot status failure fails beside its run success", policy: pinned, checks: []Check{
			run(1, "build", "github-actions", "completed", "success", "10:00:00"),
			status(2, "build", "github-actions[bot]", "failure", "10:05:00"),
		}, want: OutcomeFail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFacts()
			f.Checks = tc.checks
			d := Evaluate(mustParse(t, tc.policy), f)
			if d.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s:\n%s", d.Outcome, tc.want, allText(d))
			}
		})
	}
}
