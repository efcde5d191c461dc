package policy

import (
	"strings"
	"testing"
)

const approve1 = "version: 1\nrules:\n  - name: r\n    approvals: {count: 1}\n"

func rulePolicy(body string) string { return "version: 1\nrules:\n  - name: r\n" + body }

func TestEvaluate(t *testing.T) {
	teamRule := rulePolicy("    approvals:\n      from: {teams: [acme/rev]}\n")
	checkRule := rulePolicy("    checks: [build]\n")
	pinned := rulePolicy("    checks: [{name: build, app: github-actions}]\n")
	ticketRule := func(in string) string {
		return rulePolicy("    ticket:\n      pattern: 'PAY-[0-9]+'\n" + in)
	}
	withChecks := func(cs ...Check) func(*Facts) { return func(f *Facts) { f.Checks = cs } }
	withReviews := func(rs ...Review) func(*Facts) { return func(f *Facts) { f.Reviews = rs } }
	bobOnHead := withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"))

	tests := []struct {
		name    string
		policy  string
		facts   func(*Facts)
		want    Outcome
		texts   []string // each must appear in the decision's sentences
		absent  []string // none may appear
		noRule  bool
		ruleIs  Status
		titleIs string
	}{
		// Applicability.
		{name: "no rules", policy: "version: 1\n", want: OutcomePass, noRule: true, titleIs: "no rule applies to this change"},
		{name: "branch does not match", policy: rulePolicy("    branches: [main]\n    approvals: {}\n"),
			facts: func(f *Facts) { f.PullRequest.Base.Ref = "develop" }, want: OutcomePass, noRule: true, ruleIs: StatusSkipped,
			texts: []string{"base branch develop does not match main"}, titleIs: "no rule applies to this change"},
		{name: "branches omitted means every branch", policy: approve1,
			facts: func(f *Facts) { f.PullRequest.Base.Ref = "some/feature" }, want: OutcomePending},
		{name: "double star branch glob", policy: rulePolicy("    branches: [\"release/**\"]\n    approvals: {}\n"),
			facts: func(f *Facts) { f.PullRequest.Base.Ref = "release/2026/11" }, want: OutcomePending, ruleIs: StatusPending},
		{name: "single star does not cross slash", policy: rulePolicy("    branches: [\"release/*\"]\n    approvals: {}\n"),
			facts: func(f *Facts) { f.PullRequest.Base.Ref = "release/2026/11" }, want: OutcomePass, noRule: true},
		{name: "paths match", policy: rulePolicy("    paths: [\"src/**\"]\n    approvals: {}\n"), want: OutcomePending},
		{name: "paths do not match", policy: rulePolicy("    paths: [\"db/**\"]\n    approvals: {}\n"), want: OutcomePass, noRule: true,
			texts: []string{"no changed file matches db/**"}},
		{name: "suffix glob", policy: rulePolicy("    paths: [\"**/*.go\"]\n    approvals: {}\n"), want: OutcomePending},
		{name: "general glob", policy: rulePolicy("    paths: [\"src/{a,b}.go\"]\n    approvals: {}\n"), want: OutcomePending},
		{name: "all files ignored", policy: rulePolicy("    ignore_paths: [\"src/**\"]\n    approvals: {}\n"), want: OutcomePass, noRule: true,
			texts: []string{"no changed file matches paths outside ignore_paths"}},
		{name: "some files not ignored", policy: rulePolicy("    ignore_paths: [\"docs/**\"]\n    approvals: {}\n"),
			facts: func(f *Facts) { f.ChangedFiles = []string{"docs/a.md", "src/a.go"} }, want: OutcomePending},
		{name: "truncated file list applies path rule", policy: rulePolicy("    paths: [\"db/**\"]\n    approvals: {}\n"),
			facts: func(f *Facts) { f.Truncated = &Truncated{Files: true} }, want: OutcomePending},

		// Approvals: who counts.
		{name: "independent approval on head", policy: approve1, facts: bobOnHead, want: OutcomePass,
			texts: []string{"bob approved a300000", "approved by bob"}, titleIs: "1 rule passes"},
		{name: "no reviews is pending", policy: approve1, want: OutcomePending,
			titleIs: "needs 1 approval from someone with write permission"},
		{name: "author never counts", policy: rulePolicy("    approvals:\n      independent_of: []\n"),
			facts: withReviews(rev(1, "alice", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"alice is the author of the pull request"}},
		{name: "commit author does not count", policy: approve1,
			facts: func(f *Facts) {
				f.Commits[2].Author = "carol"
				f.Commits[0].CoAuthors = nil
				f.Reviews = []Review{rev(1, "carol", "APPROVED", sha3, "11:00:00")}
			}, want: OutcomePending, texts: []string{"carol authored a300000"}},
		{name: "committer does not count", policy: approve1,
			facts: func(f *Facts) {
				f.Commits[2].Committer = "bob"
				f.Reviews = []Review{rev(1, "bob", "APPROVED", sha3, "11:00:00")}
			}, want: OutcomePending, texts: []string{"bob committed a300000"}},
		{name: "web-flow committer's author does not count", policy: approve1,
			facts: withReviews(rev(1, "frank", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"frank authored a200000"}},
		{name: "web-flow is ignored as committer", policy: rulePolicy("    approvals:\n      from: {users: [web-flow]}\n"),
			facts: withReviews(rev(1, "web-flow", "APPROVED", sha3, "11:00:00")), want: OutcomePass},
		{name: "co-author does not count", policy: approve1,
			facts: withReviews(rev(1, "carol", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"carol co-authored a100000"}},
		{name: "co-author counts when not in independent_of", policy: rulePolicy("    approvals:\n      independent_of: [committers, pushers]\n"),
			facts: withReviews(rev(1, "carol", "APPROVED", sha3, "11:00:00")), want: OutcomePass},
		{name: "pusher does not count", policy: approve1,
			facts: withReviews(rev(1, "dave", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"dave pushed a300000 at 10:02"}},
		{name: "approval then push by the approver", policy: approve1,
			facts: func(f *Facts) {
				f.Pushes[1].Pusher = "bob"
				f.Reviews = []Review{rev(1, "bob", "APPROVED", sha2, "10:01:00")}
			}, want: OutcomePending, texts: []string{"bob pushed a300000 at 10:02"}},
		{name: "pusher counts when not in independent_of", policy: rulePolicy("    approvals:\n      independent_of: [committers]\n"),
			facts: withReviews(rev(1, "dave", "APPROVED", sha3, "11:00:00")), want: OutcomePass},
		{name: "stale approval", policy: approve1,
			facts: withReviews(rev(1, "bob", "APPROVED", sha2, "10:01:00")), want: OutcomePending,
			texts: []string{"bob approved a200000, head is a300000"}},
		{name: "stale approval counts without on_head", policy: rulePolicy("    approvals: {on_head: false}\n"),
			facts: withReviews(rev(1, "bob", "APPROVED", sha2, "10:01:00")), want: OutcomePass},
		{name: "dismissed approval", policy: approve1,
			facts: withReviews(rev(1, "bob", "DISMISSED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"bob's review of a300000 was dismissed"}},
		{name: "changes requested then approved", policy: approve1,
			facts: withReviews(rev(2, "bob", "APPROVED", sha3, "11:00:00"), rev(1, "bob", "CHANGES_REQUESTED", sha2, "10:01:00")),
			want:  OutcomePass, absent: []string{"changes requested"}},
		{name: "approved then changes requested", policy: approve1,
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "bob", "CHANGES_REQUESTED", sha3, "11:05:00")),
			want:  OutcomeFail, titleIs: "changes requested by bob"},
		{name: "comment after changes requested keeps the block", policy: approve1,
			facts: withReviews(rev(1, "bob", "CHANGES_REQUESTED", sha3, "11:00:00"), rev(2, "bob", "COMMENTED", sha3, "11:05:00")),
			want:  OutcomeFail},
		{name: "comment after approval keeps the approval", policy: approve1,
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "bob", "COMMENTED", sha3, "11:05:00"), rev(3, "carol", "PENDING", sha3, "11:06:00")),
			want:  OutcomePass},
		{name: "changes requested with blocking off", policy: rulePolicy("    approvals: {block_on_changes_requested: false}\n"),
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "erin", "CHANGES_REQUESTED", sha3, "11:05:00")),
			want:  OutcomePass, texts: []string{"does not block: block_on_changes_requested is off"}},
		{name: "changes requested by ineligible reviewer does not block", policy: teamRule,
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "erin", "CHANGES_REQUESTED", sha3, "11:05:00")),
			want:  OutcomePass, texts: []string{"does not block: erin is not in acme/rev"}},
		{name: "changes requested blocks even with enough approvals", policy: approve1,
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "erin", "CHANGES_REQUESTED", sha2, "10:05:00")),
			want:  OutcomeFail, texts: []string{"erin requested changes on a200000"}},
		{name: "two required one given", policy: rulePolicy("    approvals: {count: 2}\n"), facts: bobOnHead, want: OutcomePending,
			titleIs: "needs 1 more approval from someone with write permission"},
		{name: "two required two given", policy: rulePolicy("    approvals: {count: 2}\n"),
			facts: withReviews(rev(1, "bob", "APPROVED", sha3, "11:00:00"), rev(2, "erin", "APPROVED", sha3, "11:01:00")),
			want:  OutcomePass, texts: []string{"approved by bob and erin"}},
		{name: "three required none given", policy: rulePolicy("    approvals: {count: 3}\n"), want: OutcomePending,
			titleIs: "needs 3 approvals from someone with write permission"},
		{name: "not in team", policy: teamRule, facts: withReviews(rev(1, "erin", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"erin is not in acme/rev"}, titleIs: "needs 1 approval from acme/rev"},
		{name: "in team", policy: teamRule, facts: bobOnHead, want: OutcomePass},
		{name: "not a listed user", policy: rulePolicy("    approvals:\n      from: {users: [bob]}\n"),
			facts: withReviews(rev(1, "erin", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"erin is not listed in from.users"}, titleIs: "needs 1 approval from bob"},
		{name: "neither in team nor listed", policy: rulePolicy("    approvals:\n      from: {teams: [acme/rev, acme/ops], users: [zed]}\n"),
			facts: withReviews(rev(1, "erin", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"erin is not in acme/rev or acme/ops nor listed in from.users"}, titleIs: "needs 1 approval from acme/rev, acme/ops or zed"},
		{name: "listed user", policy: rulePolicy("    approvals:\n      from: {teams: [acme/rev], users: [erin]}\n"),
			facts: withReviews(rev(1, "erin", "APPROVED", sha3, "11:00:00")), want: OutcomePass},
		{name: "permission below default write", policy: approve1,
			facts: withReviews(rev(1, "rita", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"rita has read permission, write required"}},
		{name: "permission below explicit maintain", policy: rulePolicy("    approvals:\n      from: {permission: maintain}\n"),
			facts: bobOnHead, want: OutcomePending, texts: []string{"bob has write permission, maintain required"},
			titleIs: "needs 1 approval from someone with maintain permission"},
		{name: "team and permission floor", policy: rulePolicy("    approvals:\n      from: {teams: [acme/rev], permission: write}\n"),
			facts: withReviews(rev(1, "rita", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"rita has read permission, write required"}},
		{name: "unknown permission", policy: approve1,
			facts: withReviews(rev(1, "zed", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"zed's permission is unknown, write required"}},
		{name: "bot not listed", policy: approve1,
			facts: withReviews(rev(1, "renovate[bot]", "APPROVED", sha3, "11:00:00")), want: OutcomePending,
			texts: []string{"renovate[bot] is a bot not listed in from.users"}},
		{name: "bot listed by name", policy: rulePolicy("    approvals:\n      from: {users: [\"release[bot]\"]}\n"),
			facts: withReviews(rev(1, "release[bot]", "APPROVED", sha3, "11:00:00")), want: OutcomePass},
		{name: "truncated commits fail approvals", policy: approve1,
			facts: func(f *Facts) { bobOnHead(f); f.Truncated = &Truncated{Commits: true} }, want: OutcomeFail,
			titleIs: "too many commits to verify"},
		{name: "same time later id wins", policy: approve1,
			facts: withReviews(rev(9, "bob", "APPROVED", sha3, "11:00:00"), rev(3, "bob", "DISMISSED", sha3, "11:00:00")),
			want:  OutcomePass},
		{name: "later time wins over input order", policy: approve1,
			facts: withReviews(rev(9, "bob", "APPROVED", sha3, "11:00:00"), rev(3, "bob", "DISMISSED", sha3, "11:00:00.5")),
			want:  OutcomePending},

		// Checks.
		{name: "check success", policy: checkRule, facts: withChecks(run(1, "build", "github-actions", "completed", "success", "10:00:00")),
			want: OutcomePass, texts: []string{"build: success (check run by github-actions)"}},
		{name: "check neutral", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "neutral", "10:00:00")), want: OutcomePass},
		{name: "check skipped", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "skipped", "10:00:00")), want: OutcomePass},
		{name: "check failure", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "failure", "10:00:00")),
			want: OutcomeFail, titleIs: "check build failure"},
		{name: "check cancelled", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "cancelled", "10:00:00")), want: OutcomeFail},
		{name: "check timed out", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "timed_out", "10:00:00")), want: OutcomeFail},
		{name: "check action required", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "action_required", "10:00:00")), want: OutcomeFail},
		{name: "check stale", policy: checkRule, facts: withChecks(run(1, "build", "x", "completed", "stale", "10:00:00")), want: OutcomeFail},
		{name: "check in progress", policy: checkRule, facts: withChecks(run(1, "build", "x", "in_progress", "", "10:00:00")),
			want: OutcomePending, titleIs: "waiting for build"},
		{name: "check absent", policy: checkRule, want: OutcomePending, texts: []string{"build has not reported on a300000"}},
		{name: "status success", policy: checkRule, facts: withChecks(status(1, "build", "jenkins", "success", "10:00:00")), want: OutcomePass},
		{name: "status failure", policy: checkRule, facts: withChecks(status(1, "build", "jenkins", "failure", "10:00:00")), want: OutcomeFail},
		{name: "status error", policy: checkRule, facts: withChecks(status(1, "build", "jenkins", "error", "10:00:00")), want: OutcomeFail},
		{name: "status pending", policy: checkRule, facts: withChecks(status(1, "build", "jenkins", "pending", "10:00:00")), want: OutcomePending},
		{name: "two statuses same context newer fails", policy: checkRule,
			facts: withChecks(status(1, "build", "jenkins", "success", "10:00:00"), status(2, "build", "jenkins", "failure", "10:05:00")), want: OutcomeFail},
		{name: "two statuses same context newer passes", policy: checkRule,
			facts: withChecks(status(2, "build", "jenkins", "success", "10:05:00"), status(1, "build", "jenkins", "failure", "10:00:00")), want: OutcomePass},
		{name: "same time greater id wins", policy: checkRule,
			facts: withChecks(run(7, "build", "x", "completed", "failure", "10:00:00"), run(3, "build", "x", "completed", "success", "10:00:00")), want: OutcomeFail},
		{name: "rerun after failure passes", policy: checkRule,
			facts: withChecks(run(3, "build", "x", "completed", "failure", "10:00:00"), run(7, "build", "x", "completed", "success", "10:09:00")), want: OutcomePass},
		{name: "check from another app is ignored", policy: pinned,
			facts: withChecks(run(1, "build", "circleci", "completed", "success", "10:00:00")), want: OutcomePending,
			texts: []string{"build from circleci ignored: must come from github-actions"}},
		{name: "failure from another app does not fail", policy: pinned,
			facts: withChecks(run(1, "build", "circleci", "completed", "failure", "10:09:00"), run(2, "build", "github-actions", "completed", "success", "10:00:00")),
			want:  OutcomePass},
		{name: "status from the pinned app", policy: pinned,
			facts: withChecks(status(1, "build", "github-actions[bot]", "success", "10:00:00")), want: OutcomePass},

		// Ticket.
		{name: "ticket in title", policy: ticketRule(""), want: OutcomePass, texts: []string{"PAY-12 in title"}},
		{name: "ticket in body", policy: ticketRule(""), facts: func(f *Facts) { f.PullRequest.Title = "x"; f.PullRequest.Body = "fixes PAY-9" },
			want: OutcomePass, texts: []string{"PAY-9 in body"}},
		{name: "ticket in branch", policy: ticketRule(""), facts: func(f *Facts) { f.PullRequest.Title = "x"; f.PullRequest.Head.Ref = "PAY-3-fix" },
			want: OutcomePass, texts: []string{"PAY-3 in branch"}},
		{name: "ticket in commits only when asked", policy: ticketRule(""), facts: func(f *Facts) { f.PullRequest.Title = "x"; f.Commits[1].Message = "PAY-5" },
			want: OutcomeFail, titleIs: "no ticket reference matching PAY-[0-9]+ in title, body or branch"},
		{name: "ticket in commits", policy: ticketRule("      in: [commits]\n"), facts: func(f *Facts) { f.PullRequest.Title = "x"; f.Commits[1].Message = "PAY-5" },
			want: OutcomePass, texts: []string{"PAY-5 in commit a200000"}},
		{name: "ticket not in title when only body searched", policy: ticketRule("      in: [body]\n"), want: OutcomeFail},

		// Draft and outcome precedence.
		{name: "draft is pending", policy: approve1, facts: func(f *Facts) { bobOnHead(f); f.PullRequest.Draft = true },
			want: OutcomePending, titleIs: "pull request is a draft"},
		{name: "draft with a failure fails", policy: checkRule,
			facts: func(f *Facts) {
				f.PullRequest.Draft = true
				f.Checks = []Check{run(1, "build", "x", "completed", "failure", "10:00:00")}
			}, want: OutcomeFail},
		{name: "fail beats pending", policy: "version: 1\nrules:\n  - name: a\n    approvals: {}\n  - name: b\n    checks: [build]\n",
			facts: withChecks(run(1, "build", "x", "completed", "failure", "10:00:00")), want: OutcomeFail,
			titleIs: "check build failure (and 1 more)"},
		{name: "two rules pass", policy: "version: 1\nrules:\n  - name: a\n    approvals: {}\n  - name: b\n    checks: [build]\n",
			facts: func(f *Facts) {
				bobOnHead(f)
				f.Checks = []Check{run(1, "build", "x", "completed", "success", "10:00:00")}
			},
			want: OutcomePass, titleIs: "2 rules pass"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustParse(t, tc.policy)
			f := baseFacts()
			if tc.facts != nil {
				tc.facts(&f)
			}
			d := Evaluate(p, f)
			text := allText(d)
			if d.Outcome != tc.want {
				t.Errorf("outcome = %s, want %s\n%s", d.Outcome, tc.want, text)
			}
			if d.NoRuleApplied != tc.noRule {
				t.Errorf("NoRuleApplied = %v, want %v", d.NoRuleApplied, tc.noRule)
			}
			if tc.ruleIs != "" && d.Rules[0].Status != tc.ruleIs {
				t.Errorf("rule status = %s, want %s", d.Rules[0].Status, tc.ruleIs)
			}
			if tc.titleIs != "" && d.Title != tc.titleIs {
				t.Errorf("title = %q, want %q", d.Title, tc.titleIs)
			}
			for _, s := range tc.texts {
				if !strings.Contains(text, s) {
					t.Errorf("missing %q in\n%s", s, text)
				}
			}
			for _, s := range tc.absent {
				if strings.Contains(text, s) {
					t.Errorf("unexpected %q in\n%s", s, text)
				}
			}
		})
	}
}
