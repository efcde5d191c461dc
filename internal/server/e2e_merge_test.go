package server_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

func TestMergeIsRecordedWithTheDecisionThatStood(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 50, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(50, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.WaitIdle()
	mergeSHA := h.MergePR(50, "bob")
	h.WaitIdle()
	recs := records(t, h, store.Filter{Repo: "acme/payments", PR: 50, Kinds: []store.Kind{store.KindMerge, store.KindViolation}})
	if len(recs) != 1 || recs[0].Kind != store.KindMerge {
		t.Fatalf("want one merge record, got %+v", recs)
	}
	m := recs[0]
	if m.Outcome != "pass" || m.SHA != mergeSHA || m.Actor != "bob" {
		t.Errorf("merge record: outcome %q sha %q actor %q", m.Outcome, m.SHA, m.Actor)
	}
	var d struct {
		Outcome string `json:"outcome"`
	}
	if err := json.Unmarshal(m.Decision, &d); err != nil || d.Outcome != "pass" {
		t.Errorf("merge record should carry the decision that stood: %s (%v)", m.Decision, err)
	}
}

func TestBypassMergeIsAViolation(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 51, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	h.MergePR(51, "admin")
	h.WaitIdle()
	recs := records(t, h, store.Filter{Repo: "acme/payments", PR: 51, Kinds: []store.Kind{store.KindViolation}})
	if len(recs) != 1 {
		t.Fatalf("want one violation, got %d", len(recs))
	}
	if recs[0].Actor != "admin" || !strings.Contains(string(recs[0].Facts), "pending") {
		t.Errorf("violation should name who merged and the decision: actor %q facts %s", recs[0].Actor, recs[0].Facts)
	}
}

func TestMergeGroupPassesOnlyWhenEveryPRPasses(t *testing.T) {
	h := strictHarness(t)
	ok := h.OpenPR(e2etest.PRSpec{Number: 52, Author: "alice"})
	h.PassBuild(ok.HeadSHA)
	h.Approve(52, "bob")
	h.CheckRun(ok.HeadSHA, e2etest.Concluded("success"))
	notOK := h.OpenPR(e2etest.PRSpec{Number: 53, Author: "alice"})
	h.PassBuild(notOK.HeadSHA)
	h.WaitIdle()

	group1 := e2etest.SHA("group-1")
	h.Send("merge_group", githubtest.MergeGroupEvent(h.Repo, group1, "", "main", []int{52}))
	h.CheckRun(group1, e2etest.Concluded("success"))

	group2 := e2etest.SHA("group-2")
	h.Send("merge_group", githubtest.MergeGroupEvent(h.Repo, group2, "", "main", []int{52, 53}))
	run := h.CheckRun(group2, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "#53") {
		t.Errorf("title should name the failing PR: %q", run.Output.Title)
	}
	// Each group's decision is recorded with its facts, and re-derived from them alone.
	for sha, want := range map[string]string{group1: "pass", group2: "fail"} {
		recs := records(t, h, store.Filter{Repo: "acme/payments", SHA: sha, Kinds: []store.Kind{store.KindMergeGroup}})
		if len(recs) != 1 || recs[0].Outcome != want || recs[0].Subject != "merge_group:"+sha {
			t.Fatalf("group %.7s: want one merge_group record %s, got %+v", sha, want, recs)
		}
		var f policy.MergeGroupFacts
		var again bytes.Buffer
		err := json.Unmarshal(recs[0].Facts, &f)
		if err == nil {
			err = json.Compact(&again, policy.MergeGroup(f).JSON()) // the store keeps documents compacted
		}
		if err != nil || again.String() != string(recs[0].Decision) {
			t.Errorf("group %.7s: the recorded decision is not policy.MergeGroup of its facts (%v):\n%s", sha, err, recs[0].Decision)
		}
	}
}

// A burst of ten check completions inside the window costs one evaluation, and an
// evaluation that changes nothing writes nothing.
// TestCoalescingAndNoRedundantWrites: completions of checks no rule requires cost no
// evaluation (skipped, with the reason counted); ten completions of a required check
// sent back to back cost at most two evaluations (leading edge plus one follow-up), and
// an unchanged result is never written again.
func TestCoalescingAndNoRedundantWrites(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 54, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	before := countRecords(t, h, store.KindPRDecision)
	writes := len(h.GH.CheckRunWrites("acme/payments"))
	for i := 0; i < 10; i++ {
		h.CompleteCheck(pr.HeadSHA, "lint-"+string(rune('a'+i)), "github-actions", 15368, "success")
	}
	h.WaitIdle()
	if got := countRecords(t, h, store.KindPRDecision) - before; got != 0 {
		t.Errorf("ten completions of unrequired checks gave %d evaluations, want 0", got)
	}
	if m := metricsText(t, h); !strings.Contains(m, `foureyes_webhook_events_skipped_total{event="check_run",reason="check_not_required"} 10`) {
		t.Errorf("skip metric does not count the ten unrequired checks:\n%s", grepLines(m, "skipped"))
	}
	// Every GitHub answer takes 200 ms, so the ten (sent in a few milliseconds: the ack
	// needs no GitHub) all arrive while the first evaluation runs.
	h.GH.SetLatency(200 * time.Millisecond)
	for i := 0; i < 10; i++ {
		h.CompleteCheck(pr.HeadSHA, "build", "github-actions", 15368, "failure")
	}
	h.WaitIdle()
	got := countRecords(t, h, store.KindPRDecision) - before
	if got < 1 || got > 2 {
		t.Errorf("ten completions of the required check gave %d evaluations, want 1 or 2", got)
	}
	if got := len(h.GH.CheckRunWrites("acme/payments")) - writes; got != 1 {
		t.Errorf("one new result written %d times, want once", got)
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
