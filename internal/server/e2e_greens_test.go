package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/evidence"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Regression tests for the false greens of issue #18, each named after the attack.

// lastDecision is the latest pr_decision record of PR number.
func lastDecision(t *testing.T, h *e2etest.Harness, number int) (store.Record, policy.Decision) {
	t.Helper()
	recs := records(t, h, store.Filter{Repo: e2etest.Owner + "/" + e2etest.RepoName, PR: number, Kinds: []store.Kind{store.KindPRDecision}})
	if len(recs) == 0 {
		t.Fatalf("no decision recorded for #%d", number)
	}
	rec := recs[len(recs)-1]
	var d policy.Decision
	if err := json.Unmarshal(rec.Decision, &d); err != nil {
		t.Fatalf("decode decision of #%d: %v", number, err)
	}
	return rec, d
}

// decisionText is every sentence of a decision, for substring checks.
func decisionText(d policy.Decision) string {
	var b strings.Builder
	b.WriteString(d.Title + "\n")
	for _, r := range d.Rules {
		b.WriteString(r.Name + ": " + r.Reason + "\n")
		for _, q := range r.Requirements {
			b.WriteString(q.Reason + "\n")
			for _, e := range q.Evidence {
				b.WriteString(e.Text + "\n")
			}
		}
	}
	return b.String()
}

// A decoy PR feature → tmp, where tmp already holds bob's commit, is evaluated first; the
// real PR feature → main (same head) must still see bob's commit, so bob cannot approve it.
func TestDecoyPRHidesCommits(t *testing.T) {
	h := strictHarness(t)
	bobs := githubtest.Commit{SHA: e2etest.SHA("decoy-bob"), Parents: []string{e2etest.SHA("base-main")}, Author: "bob", Committer: "bob",
		Message: "backdoor", Date: time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)}
	alices := githubtest.Commit{SHA: e2etest.SHA("decoy-alice"), Parents: []string{bobs.SHA}, Author: "alice", Committer: "alice",
		Message: "harmless", Date: time.Date(2026, 11, 20, 9, 1, 0, 0, time.UTC)}
	h.Repo.AddCommit(bobs)
	h.Repo.AddCommit(alices)
	h.Repo.SetBranch("tmp", bobs.SHA)
	decoy := githubtest.PR{Number: 4, Title: "PAY-4 decoy", Author: "alice", State: "open", BaseRef: "tmp", BaseSHA: bobs.SHA,
		HeadRef: "feature", HeadSHA: alices.SHA, Commits: []string{alices.SHA}, Files: []string{"src/round.go"}}
	h.Repo.SetPR(decoy)
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(4), "alice"))
	h.WaitIdle()
	if _, d := lastDecision(t, h, 4); d.Outcome == "" {
		t.Fatal("decoy was not evaluated")
	}

	real := githubtest.PR{Number: 3, Title: "PAY-3 feature", Author: "alice", State: "open", BaseRef: "main", BaseSHA: e2etest.SHA("base-main"),
		HeadRef: "feature", HeadSHA: alices.SHA, Commits: []string{bobs.SHA, alices.SHA}, Files: []string{"src/round.go", "src/backdoor.go"}}
	h.Repo.SetPR(real)
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(3), "alice"))
	h.PassBuild(alices.SHA)
	h.Approve(3, "bob")
	h.WaitIdle()
	_, d := lastDecision(t, h, 3)
	if d.Outcome == policy.OutcomePass {
		t.Fatalf("#3 passed with bob's approval although bob authored a commit of it:\n%s", decisionText(d))
	}
	if !strings.Contains(decisionText(d), "bob authored") {
		t.Errorf("#3 should say bob authored a commit:\n%s", decisionText(d))
	}
}

// Two open PRs share a head SHA, so they share the one foureyes check run: PR #2 to dev
// (no rule applies) must not turn the run neutral while PR #1 to main is pending.
func TestSharedHeadSHAWorstDecision(t *testing.T) {
	h := strictHarness(t)
	one := h.OpenPR(e2etest.PRSpec{Number: 1, Author: "alice", HeadRef: "feature/shared"})
	h.CheckRun(one.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	two := githubtest.PR{Number: 2, Title: "PAY-2 to dev", Author: "alice", State: "open", BaseRef: "dev", BaseSHA: one.BaseSHA,
		HeadRef: one.HeadRef, HeadSHA: one.HeadSHA, Commits: one.Commits, Files: one.Files}
	h.Repo.SetPR(two)
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(2), "alice"))
	h.WaitIdle()
	if _, d := lastDecision(t, h, 2); d.Outcome != policy.OutcomePass {
		t.Fatalf("#2 to dev should pass on its own (no rule applies), got %s", d.Outcome)
	}
	run := h.CheckRun(one.HeadSHA, func(githubtest.CheckRun) bool { return true })
	if run.Status != "in_progress" {
		t.Fatalf("run on the shared head is %s/%s, want in_progress (PR #1 to main is pending): %s", run.Status, run.Conclusion, run.Output.Title)
	}
	if !strings.Contains(run.Output.Text, "#1") || !strings.Contains(run.Output.Text, "#2") {
		t.Errorf("the run should name every PR with this head:\n%s", run.Output.Text)
	}
	// What the run shows has its own record, naming the decisions it combines.
	shared := records(t, h, store.Filter{Repo: e2etest.Owner + "/" + e2etest.RepoName, Kinds: []store.Kind{store.KindSharedHead}})
	if len(shared) == 0 || shared[len(shared)-1].Outcome != "pending" || shared[len(shared)-1].SHA != one.HeadSHA ||
		!strings.Contains(string(shared[len(shared)-1].Facts), `"pr":1`) || !strings.Contains(string(shared[len(shared)-1].Facts), `"pr":2`) {
		t.Errorf("want a pending shared_head record combining #1 and #2, got %+v", shared)
	}
	// Once #1 is approved and built, the worst is #2's neutral pass... which still passes.
	h.PassBuild(one.HeadSHA)
	h.Approve(1, "bob")
	h.WaitIdle()
	run = h.CheckRun(one.HeadSHA, func(c githubtest.CheckRun) bool { return c.Status == "completed" })
	if run.Conclusion == "failure" {
		t.Errorf("both PRs pass: run is %s: %s", run.Conclusion, run.Output.Title)
	}
	// Every combination shown is re-performed from the package of either PR: the decisions
	// it combines are carried with it.
	src, ok := h.Store.(store.ChainReader)
	if !ok {
		t.Fatal("the store is not a chain reader")
	}
	for _, pr := range []int{1, 2} {
		var buf bytes.Buffer
		err := evidence.WritePackage(context.Background(), &buf, src, evidence.ChangeQuery{Repo: e2etest.Owner + "/" + e2etest.RepoName, PR: pr},
			evidence.PackageOptions{Policies: h.Store.(evidence.PolicyTexts)})
		if err != nil {
			t.Fatal(err)
		}
		res, err := evidence.VerifyPackage(bytes.NewReader(buf.Bytes()), int64(buf.Len()), "")
		if err != nil || !res.OK() || res.Reperformed == 0 || strings.Contains(strings.Join(res.Notes, "\n"), "shared_head") {
			t.Errorf("#%d's package: %v: re-performed %d, problems %q, notes %q", pr, err, res.Reperformed, res.Problems, res.Notes)
		}
	}
}

// bob pushes to alice's PR, alice squashes and force-pushes (bob's commit is gone), bob
// approves: bob pushed to the PR's branch while it was open, so he is not independent.
func TestSquashForcePushKeepsPushers(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 20, Author: "alice"})
	h.Push(20, "bob", githubtest.Commit{SHA: e2etest.SHA("pr20-bob"), Author: "alice", Committer: "alice", Message: "bob's fix, authored as alice"})
	h.WaitIdle()
	squashed := githubtest.Commit{SHA: e2etest.SHA("pr20-squash"), Parents: []string{pr.BaseSHA}, Author: "alice", Committer: "alice",
		Message: "squashed", Date: time.Now().UTC()}
	h.Repo.AddCommit(squashed)
	cur := h.Repo.PR(20)
	before := cur.HeadSHA
	cur.Commits, cur.HeadSHA = []string{squashed.SHA}, squashed.SHA
	h.Repo.SetPR(cur)
	h.Send("pull_request", githubtest.PullRequestSynchronizeEvent(h.Repo, h.Repo.PR(20), before, "alice"))
	h.PassBuild(squashed.SHA)
	h.Approve(20, "bob")
	h.WaitIdle()
	_, d := lastDecision(t, h, 20)
	if d.Outcome == policy.OutcomePass {
		t.Fatalf("bob's approval counted although he pushed to the PR:\n%s", decisionText(d))
	}
	if !strings.Contains(decisionText(d), "bob pushed") {
		t.Errorf("decision should say bob pushed:\n%s", decisionText(d))
	}
	h.Approve(20, "carol")
	h.CheckRun(squashed.SHA, e2etest.Concluded("success"))
}

// The org repository acme/.github exists but foureyes cannot read its policy file: the
// baseline must not silently vanish (a repository without its own rules would go neutral).
func TestUnreadableOrgBaselineFailsClosed(t *testing.T) {
	h := e2etest.Start(t)
	org := h.GH.AddRepo(e2etest.Owner+"/.github", e2etest.Installation)
	org.SetFile("main", "foureyes.yml", "version: 1\nrules:\n  - name: org four eyes\n    approvals:\n      count: 1\n")
	h.GH.Fail("GET", "/repos/acme/.github/contents/*", 403, 1000, nil)
	pr := h.OpenPR(e2etest.PRSpec{Number: 36, Author: "alice"})
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, func(githubtest.CheckRun) bool { return true })
	if run.Conclusion != "failure" {
		t.Fatalf("run is %s/%s, want failure: %s", run.Status, run.Conclusion, run.Output.Title)
	}
	if !strings.Contains(run.Output.Title, "acme/.github") || !strings.Contains(run.Output.Summary+run.Output.Text, "Baseline: unreadable") {
		t.Errorf("the run should say the org baseline acme/.github cannot be read:\n%s\n%s", run.Output.Title, run.Output.Summary)
	}
}

// The check run always names the baseline that applied.
func TestCheckRunNamesBaseline(t *testing.T) {
	h := e2etest.Start(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 37, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
	if !strings.Contains(run.Output.Summary, "Baseline: none") {
		t.Errorf("no baseline should be named:\n%s", run.Output.Summary)
	}
	org := h.GH.AddRepo(e2etest.Owner+"/.github", e2etest.Installation)
	org.SetFile("main", "foureyes.yml", "version: 1\nrules:\n  - name: org four eyes\n    approvals:\n      count: 1\n")
	h.Send("pull_request", githubtest.PullRequestEvent("edited", h.Repo, h.Repo.PR(37), "alice"))
	run = h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Summary, "Baseline: acme/.github@main:foureyes.yml (blob") {
		t.Errorf("the org baseline should be named:\n%s", run.Output.Summary)
	}
}

// mergeRecords are the merge and violation records of PR number.
func mergeRecords(t *testing.T, h *e2etest.Harness, number int) (merge store.Record, violations int) {
	t.Helper()
	recs := records(t, h, store.Filter{Repo: e2etest.Owner + "/" + e2etest.RepoName, PR: number, Kinds: []store.Kind{store.KindMerge, store.KindViolation}})
	found := false
	for _, r := range recs {
		switch r.Kind {
		case store.KindMerge:
			merge, found = r, true
		case store.KindViolation:
			violations++
		}
	}
	if !found {
		t.Fatalf("no merge record for #%d: %+v", number, recs)
	}
	return merge, violations
}

// A PR to dev (no rule: neutral) is retargeted to main and merged before the edited event
// is processed: the merge must be judged under main's policy, never recorded as pass on
// the strength of the decision made for dev.
func TestMergeRetargetedBeforeEditedEvent(t *testing.T) {
	t.Run("unapproved", func(t *testing.T) {
		h := strictHarness(t)
		pr := h.OpenPR(e2etest.PRSpec{Number: 60, Author: "alice", BaseRef: "dev"})
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
		h.WaitIdle()
		cur := h.Repo.PR(60)
		cur.BaseRef = "main" // retargeted; the edited event is not sent (or not yet processed)
		h.Repo.SetPR(cur)
		h.MergePR(60, "alice")
		h.WaitIdle()
		m, violations := mergeRecords(t, h, 60)
		if m.Outcome == "pass" || violations != 1 {
			t.Fatalf("merge into main judged by the decision for dev: outcome %q, %d violation(s); facts %s", m.Outcome, violations, m.Facts)
		}
	})
	t.Run("approved under main", func(t *testing.T) {
		h := strictHarness(t)
		pr := h.OpenPR(e2etest.PRSpec{Number: 61, Author: "alice", BaseRef: "dev"})
		h.PassBuild(pr.HeadSHA)
		h.Approve(61, "bob")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
		h.WaitIdle()
		cur := h.Repo.PR(61)
		cur.BaseRef = "main"
		h.Repo.SetPR(cur)
		h.MergePR(61, "bob")
		h.WaitIdle()
		m, violations := mergeRecords(t, h, 61)
		if m.Outcome != "pass" || violations != 0 {
			t.Fatalf("a merge that main's policy approves, judged afresh, should pass: outcome %q, %d violation(s); facts %s", m.Outcome, violations, m.Facts)
		}
		if !strings.Contains(string(m.Facts), `"judged_at_merge":true`) {
			t.Errorf("the merge record should say it was judged afresh: %s", m.Facts)
		}
	})
}

// The merge record's outcome is re-derivable from its facts alone (policy.JudgeMerge).
func TestMergeRecordRederivable(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 62, Author: "alice", BaseRef: "dev"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
	h.WaitIdle()
	cur := h.Repo.PR(62)
	cur.BaseRef = "main"
	h.Repo.SetPR(cur)
	h.MergePR(62, "alice")
	h.WaitIdle()
	m, _ := mergeRecords(t, h, 62)
	var mf policy.MergeFacts
	if err := json.Unmarshal(m.Facts, &mf); err != nil {
		t.Fatal(err)
	}
	if got := policy.JudgeMerge(mf); got.Outcome != m.Outcome || got.Violation == "" {
		t.Errorf("re-derived %+v, recorded outcome %q; facts %s", got, m.Outcome, m.Facts)
	}
}

// Co-authored-by trailers must exclude the reviewer they name: through a noreply e-mail in
// any case, through the reviewer's public name or e-mail, and, when a trailer matches no
// account, for every reviewer it could be.
func TestCoAuthorTrailerResolvesToReviewer(t *testing.T) {
	cases := []struct {
		name    string
		trailer string
		setup   func(h *e2etest.Harness)
		wantWhy string
	}{
		{name: "public name", trailer: "Bob Builder <bob@acme.example>", wantWhy: "bob co-authored",
			setup: func(h *e2etest.Harness) {
				h.GH.SetUserProfile("bob", githubtest.UserProfile{Name: "Bob Builder", Email: "builder@home.example"})
			}},
		{name: "public e-mail", trailer: "B. <builder@home.example>", wantWhy: "bob co-authored",
			setup: func(h *e2etest.Harness) {
				h.GH.SetUserProfile("bob", githubtest.UserProfile{Name: "Robert", Email: "builder@home.example"})
			}},
		{name: "noreply in upper case", trailer: "Bob <1234+BOB@users.noreply.github.com>", wantWhy: "bob co-authored"},
		{name: "unresolved, no public profile", trailer: "Bob Builder <bob@acme.example>", wantWhy: "bob could be the co-author"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := strictHarness(t)
			if tc.setup != nil {
				tc.setup(h)
			}
			pr := h.OpenPR(e2etest.PRSpec{Number: 70, Author: "alice", Commits: []githubtest.Commit{
				{SHA: e2etest.SHA("pr70-c1"), Author: "alice", Committer: "alice", Message: "pair work\n\nCo-authored-by: " + tc.trailer},
			}})
			h.PassBuild(pr.HeadSHA)
			h.Approve(70, "bob")
			h.WaitIdle()
			run := h.CheckRun(pr.HeadSHA, func(githubtest.CheckRun) bool { return true })
			if run.Status != "in_progress" || !strings.Contains(run.Output.Text, tc.wantWhy) {
				t.Fatalf("bob's approval should not count (%q); run %s/%s:\n%s", tc.wantWhy, run.Status, run.Conclusion, run.Output.Text)
			}
		})
	}
	t.Run("unresolved trailer is listed, a reviewer it cannot be counts", func(t *testing.T) {
		h := strictHarness(t)
		h.GH.SetUserProfile("carol", githubtest.UserProfile{Name: "Carol Checker", Email: "carol@acme.example"})
		pr := h.OpenPR(e2etest.PRSpec{Number: 71, Author: "alice", Commits: []githubtest.Commit{
			{SHA: e2etest.SHA("pr71-c1"), Author: "alice", Committer: "alice", Message: "pair work\n\nCo-authored-by: Someone <someone@elsewhere.example>"},
		}})
		h.PassBuild(pr.HeadSHA)
		h.Approve(71, "bob")
		h.WaitIdle()
		run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
		if !strings.Contains(run.Output.Text, "someone@elsewhere.example") || !strings.Contains(run.Output.Text, "matches no GitHub account") {
			t.Errorf("the unresolved trailer should be listed:\n%s", run.Output.Text)
		}
		h.Approve(71, "carol")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	})
}

// A merge queue group holds #80 (not approved) then #81 (approved): the queue ref and the
// head commit name only #81, the last one. The group must fail on #80.
func TestMergeGroupWithSeveralPRs(t *testing.T) {
	h := strictHarness(t)
	first := h.OpenPR(e2etest.PRSpec{Number: 80, Author: "alice"})
	h.PassBuild(first.HeadSHA)
	last := h.OpenPR(e2etest.PRSpec{Number: 81, Author: "alice"})
	h.PassBuild(last.HeadSHA)
	h.Approve(81, "bob")
	h.CheckRun(last.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()

	group := e2etest.SHA("group-80-81")
	ev := githubtest.MergeGroupEvent(h.Repo, group, "", "main", []int{80, 81})
	mg := ev["merge_group"].(map[string]any)
	if msg := mg["head_commit"].(map[string]any)["message"].(string); strings.Contains(msg, "#80") || !strings.Contains(mg["head_ref"].(string), "pr-81-") {
		t.Fatalf("the fixture should name only #81 in the head: ref %v, message %q", mg["head_ref"], msg)
	}
	h.Send("merge_group", ev)
	run := h.CheckRun(group, func(c githubtest.CheckRun) bool { return c.Status == "completed" })
	if run.Conclusion != "failure" || !strings.Contains(run.Output.Title, "#80") {
		t.Fatalf("group with unapproved #80 is %s: %q", run.Conclusion, run.Output.Title)
	}

	// Once #80 is approved, the same kind of group passes.
	h.Approve(80, "bob")
	h.CheckRun(first.HeadSHA, e2etest.Concluded("success"))
	group2 := e2etest.SHA("group-80-81-again")
	h.Send("merge_group", githubtest.MergeGroupEvent(h.Repo, group2, "", "main", []int{80, 81}))
	run = h.CheckRun(group2, func(c githubtest.CheckRun) bool { return c.Status == "completed" })
	if run.Conclusion != "success" {
		t.Fatalf("group of two approved PRs is %s: %q\n%s", run.Conclusion, run.Output.Title, run.Output.Summary)
	}
}

// A commit in the group that no pull request of it accounts for fails the group.
func TestMergeGroupWithUnattributedCommit(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 82, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(82, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	base := e2etest.SHA("queue-base")
	h.Repo.AddCommit(githubtest.Commit{SHA: base, Message: "base", Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	h.Repo.SetBranch("main", base)
	sneaky := githubtest.Commit{SHA: e2etest.SHA("queue-sneaky"), Parents: []string{base}, Author: "alice", Committer: "alice",
		Message: "not from any PR", Date: time.Date(2026, 11, 1, 0, 1, 0, 0, time.UTC)}
	h.Repo.AddCommit(sneaky)
	group := e2etest.SHA("queue-head")
	h.Repo.AddCommit(githubtest.Commit{SHA: group, Parents: []string{sneaky.SHA, pr.HeadSHA}, Committer: "web-flow",
		Message: "Merge pull request #82 from acme/feature/pay-82", Date: time.Date(2026, 11, 1, 0, 2, 0, 0, time.UTC)})
	h.Send("merge_group", githubtest.MergeGroupEvent(h.Repo, group, "", "main", []int{82}))
	run := h.CheckRun(group, func(c githubtest.CheckRun) bool { return c.Status == "completed" })
	if run.Conclusion != "failure" || !strings.Contains(run.Output.Title, "belong to no pull request") {
		t.Fatalf("group with a commit no PR brought is %s: %q", run.Conclusion, run.Output.Title)
	}
}

// When the pending PR on a shared head is closed, the run shows the remaining PR's decision.
func TestSharedHeadSHAClosedPRNoLongerCounts(t *testing.T) {
	h := strictHarness(t)
	one := h.OpenPR(e2etest.PRSpec{Number: 5, Author: "alice", HeadRef: "feature/shared-5"})
	h.CheckRun(one.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	h.Repo.SetPR(githubtest.PR{Number: 6, Title: "PAY-6 to dev", Author: "alice", State: "open", BaseRef: "dev", BaseSHA: one.BaseSHA,
		HeadRef: one.HeadRef, HeadSHA: one.HeadSHA, Commits: one.Commits, Files: one.Files})
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(6), "alice"))
	h.WaitIdle()
	h.CheckRun(one.HeadSHA, e2etest.InProgress)
	closed := h.Repo.PR(5)
	closed.State = "closed"
	h.Repo.SetPR(closed)
	h.Send("pull_request", githubtest.PullRequestEvent("closed", h.Repo, h.Repo.PR(5), "alice"))
	h.CheckRun(one.HeadSHA, e2etest.Concluded("neutral"))
}

// An installation on selected repositories cannot see a private acme/.github it was not
// given: GitHub answers 404 as for a missing repository. foureyes cannot tell whether a
// baseline exists there, so it fails closed; once acme/.github is given, the baseline applies.
func TestInvisibleOrgBaselineFailsClosed(t *testing.T) {
	h := e2etest.Start(t)
	h.GH.SetRepositorySelection(e2etest.Installation, "selected")
	org := h.GH.AddRepo(e2etest.Owner+"/.github", 9999) // not given to foureyes' installation
	org.SetFile("main", "foureyes.yml", "version: 1\nrules:\n  - name: org four eyes\n    approvals:\n      count: 1\n")
	pr := h.OpenPR(e2etest.PRSpec{Number: 38, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "selected repositories only") {
		t.Errorf("the run should say why the baseline cannot be read: %q", run.Output.Title)
	}
	h.GH.AddRepo(e2etest.Owner+"/.github", e2etest.Installation) // given to the installation
	h.Send("pull_request", githubtest.PullRequestEvent("edited", h.Repo, h.Repo.PR(38), "alice"))
	run = h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Summary, "org four eyes") {
		t.Errorf("the org baseline should apply once readable:\n%s", run.Output.Summary)
	}
}
