package deploy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// directPush pushes one commit by pusher straight onto main (on parent) and sends the
// push webhook, so foureyes records the violation. It returns the commit and the
// violation record.
func directPush(t *testing.T, h *e2etest.Harness, label, parent, pusher string) (string, store.Record) {
	t.Helper()
	sha := e2etest.SHA(label)
	h.Repo.AddCommit(githubtest.Commit{SHA: sha, Parents: []string{parent}, Author: pusher, Committer: pusher,
		Message: "hotfix " + label, Date: time.Now().UTC()})
	h.Repo.SetBranch("main", sha)
	h.Send("push", githubtest.PushEvent(h.Repo, "main", parent, sha, pusher))
	h.WaitIdle()
	v := h.Records(store.Filter{Kinds: []store.Kind{store.KindViolation}, Subject: "push:" + sha})
	if len(v) != 1 {
		t.Fatalf("violation records of the direct push %s = %d, want 1", sha, len(v))
	}
	return sha, v[0]
}

// mergeOnTop opens PR n by alice on base (main's tip: a direct push), gets it approved
// with a passing build, and merges it as bob: the merge commit's first parent is base.
func mergeOnTop(t *testing.T, h *e2etest.Harness, n int, base string) string {
	t.Helper()
	c := githubtest.Commit{SHA: e2etest.SHA("on-top-" + itoa(int64(n))), Parents: []string{base}, Author: "alice", Committer: "alice", Message: "on top"}
	pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice", Commits: []githubtest.Commit{c}})
	pr.BaseSHA = base
	h.Repo.SetPR(pr)
	h.PassBuild(pr.HeadSHA)
	h.Approve(n, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	merge := h.MergePR(n, "bob")
	if c, _ := h.Repo.Commit(merge); len(c.Parents) == 0 || c.Parents[0] != base {
		t.Fatalf("merge commit's parents = %v, want the direct push %s first", c.Parents, base)
	}
	h.PassBuild(merge)
	h.WaitIdle()
	return merge
}

// addNote appends a review note on a record as the console does (internal/console
// addNote): its own record, subject seq:N, outcome the disposition, actor the author.
func addNote(t *testing.T, h *e2etest.Harness, on store.Record, author, disposition string) store.Record {
	t.Helper()
	facts, _ := json.Marshal(map[string]any{"author": author, "text": "looked at it", "disposition": disposition,
		"record_seq": on.Seq, "record_hash": on.Hash, "role": "auditor"})
	rec, err := h.Store.Append(context.Background(), store.Record{Kind: store.KindReviewNote, Installation: on.Installation,
		Repository: on.Repository, PR: on.PR, SHA: on.SHA, Subject: store.ReviewNoteSubject(on.Seq), Actor: author,
		Outcome: disposition, Facts: facts, FactKey: "review_note:" + itoa(on.Seq) + ":" + author + ":" + disposition})
	if err != nil {
		t.Fatalf("append review note: %v", err)
	}
	return rec
}

// deployAgain sends a new deployment (another workflow run) of sha to production by
// erin and returns foureyes' answer: a new run is decided afresh.
func deployAgain(t *testing.T, h *e2etest.Harness, sha string, run int64) githubtest.DeploymentReview {
	t.Helper()
	h.DeployWith(e2etest.DeploySpec{Env: "production", SHA: sha, Sender: "erin", CallbackURL: githubtest.DeploymentCallbackURL(h.Repo, run)})
	return h.DeploymentAnswer(run, "production")
}

// TestDeploymentShipsDirectPush: a direct push to main that an approved merge sits on is
// shipped by the merge commit, which nobody reviewed as a whole: the deployment is
// rejected naming the push, until someone other than the pusher clears the violation
// with a review note "explained" or "remediated". A direct push that is not in the
// deployed history does not block.
func TestDeploymentShipsDirectPush(t *testing.T) {
	tests := []struct {
		name   string
		note   string // the author of a note added after the first answer ("" none)
		disp   string
		before string // first answer
		after  string // answer to a new deployment after the note
	}{
		{name: "uncleared direct push under the merge", before: "rejected"},
		{name: "cleared by an auditor's explained note", note: "audrey", disp: policy.NoteExplained, before: "rejected", after: "approved"},
		{name: "cleared by an auditor's remediated note", note: "audrey", disp: policy.NoteRemediated, before: "rejected", after: "approved"},
		{name: "a deficiency note does not clear", note: "audrey", disp: policy.NoteDeficiency, before: "rejected", after: "rejected"},
		{name: "the pusher's own note does not clear", note: "Mallory", disp: policy.NoteExplained, before: "rejected", after: "rejected"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := gatedHarness(t)
			x, violation := directPush(t, h, "direct-x", e2etest.SHA("base-main"), "mallory")
			merge := mergeOnTop(t, h, 40, x)
			run := h.Deploy("production", merge, "erin")
			got := h.DeploymentAnswer(run, "production")
			blocked := "direct push " + x[:7] + " by mallory (violation record #" + itoa(violation.Seq) + ")"
			if got.State != tc.before || !strings.Contains(got.Comment, blocked) {
				t.Fatalf("state %q, want %q naming %q; comment:\n%s", got.State, tc.before, blocked, got.Comment)
			}
			h.WaitIdle()
			d := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: merge})
			var facts policy.DeploymentFacts
			if len(d) != 1 || json.Unmarshal(d[0].Facts, &facts) != nil || len(facts.DirectPushes) != 1 ||
				facts.DirectPushes[0].ViolationSeq != violation.Seq || facts.DirectPushes[0].Pusher != "mallory" ||
				strings.Join(facts.DirectPushes[0].Commits, ",") != x {
				t.Fatalf("recorded deployment facts do not list the direct push #%d: %+v", violation.Seq, d)
			}
			if tc.note == "" {
				return
			}
			note := addNote(t, h, violation, tc.note, tc.disp)
			got = deployAgain(t, h, merge, run+1)
			if got.State != tc.after {
				t.Fatalf("after %s's %s note: state %q, want %q; comment:\n%s", tc.note, tc.disp, got.State, tc.after, got.Comment)
			}
			if tc.after == "approved" && !strings.Contains(got.Comment, "review note #"+itoa(note.Seq)) {
				t.Errorf("the approval does not name the note that cleared the push:\n%s", got.Comment)
			}
			if tc.after == "rejected" && !strings.Contains(got.Comment, blocked) {
				t.Errorf("the rejection does not name the push:\n%s", got.Comment)
			}
		})
	}
}

// TestDirectPushOutsideDeployedHistory: a direct push after the deployed merge (on main,
// over it) is not shipped by that merge and does not block its deployment; nor does a
// pushed commit GitHub no longer knows (force-pushed away: compare answers 404).
func TestDirectPushOutsideDeployedHistory(t *testing.T) {
	h := gatedHarness(t)
	merge := approvedMerge(t, h, 41)
	directPush(t, h, "after-merge", merge, "mallory")
	_, gone := directPush(t, h, "gone", e2etest.SHA("base-main"), "root")
	h.GH.Fail("GET", "/repos/"+h.Repo.FullName+"/compare/"+gone.SHA+"...*", http.StatusNotFound, 0, nil)
	got := h.DeploymentAnswer(h.Deploy("production", merge, "erin"), "production")
	if got.State != "approved" {
		t.Fatalf("state %q, want approved; comment:\n%s", got.State, got.Comment)
	}
}

// TestDirectPushCompareUnavailable: when GitHub cannot say whether a direct push is in
// the deployed history (compare answers 502), the gate does not take it as "not in the
// history": the delivery is retried, and the answer, once GitHub answers, names the push.
func TestDirectPushCompareUnavailable(t *testing.T) {
	h := gatedHarness(t)
	x, violation := directPush(t, h, "direct-flaky", e2etest.SHA("base-main"), "mallory")
	merge := mergeOnTop(t, h, 42, x)
	h.GH.Fail("GET", "/repos/"+h.Repo.FullName+"/compare/*", http.StatusBadGateway, 1, nil)
	got := h.DeploymentAnswer(h.Deploy("production", merge, "erin"), "production")
	if got.State != "rejected" || !strings.Contains(got.Comment, "violation record #"+itoa(violation.Seq)) {
		t.Fatalf("state %q, want rejected naming violation #%d; comment:\n%s", got.State, violation.Seq, got.Comment)
	}
	if d := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}, SHA: merge}); len(d) != 1 {
		t.Errorf("deployment decisions = %d, want 1 (none recorded for the failed attempt)", len(d))
	}
}
