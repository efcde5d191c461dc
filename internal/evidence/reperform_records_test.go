package evidence

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// recordsStore holds merge records, direct-push violations and shared-head combinations
// shaped as the server records them, each honest or not, on its own PR or SHA.
func recordsStore(t *testing.T) (store.Store, store.ChainReader) {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	add := func(r store.Record) int64 {
		t.Helper()
		if r.Repository == "" {
			r.Repository = "acme/pay"
		}
		rec, err := st.Append(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return rec.Seq
	}
	doc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	factsOn := func(pr int, base, sha string) json.RawMessage {
		return doc(policy.Facts{Repository: "acme/pay", PullRequest: policy.PullRequest{Number: pr, Author: "alice", Base: policy.GitRef{Ref: base}, Head: policy.GitRef{SHA: sha}}})
	}
	decision := func(o policy.Outcome, title string) policy.Decision {
		return policy.Decision{Outcome: o, Title: title, Rules: []policy.RuleResult{}}
	}
	// Merges: the verdict comes from the standing decision the merge facts name.
	merge := func(pr int, head string, md *policy.MergeDecision, outcome, violation string) {
		add(store.Record{Kind: store.KindMerge, PR: pr, SHA: "m" + head, Actor: "bob", Outcome: outcome,
			Facts: doc(map[string]any{"head_sha": head, "merge_commit_sha": "m" + head, "base_ref": "main", "merged_by": "bob",
				"decision": md, "violation": violation})})
	}
	pass7 := add(store.Record{Kind: store.KindPRDecision, PR: 7, SHA: "h7", Outcome: "pass", Facts: factsOn(7, "main", "h7"), Decision: decision(policy.OutcomePass, "ok").JSON()})
	merge(7, "h7", &policy.MergeDecision{Seq: pass7, SHA: "h7", BaseRef: "main", Outcome: "pass"}, "pass", "")
	fail8 := add(store.Record{Kind: store.KindPRDecision, PR: 8, SHA: "h8", Outcome: "fail", Facts: factsOn(8, "main", "h8"), Decision: decision(policy.OutcomeFail, "no").JSON()})
	merge(8, "h8", &policy.MergeDecision{Seq: fail8, SHA: "h8", BaseRef: "main", Outcome: "fail"}, "pass", "") // recorded as a pass
	fail9 := add(store.Record{Kind: store.KindPRDecision, PR: 9, SHA: "h9", Outcome: "fail", Facts: factsOn(9, "main", "h9"), Decision: decision(policy.OutcomeFail, "no").JSON()})
	merge(9, "h9", &policy.MergeDecision{Seq: fail9, SHA: "h9", BaseRef: "main", Outcome: "pass"}, "pass", "") // names a pass that was a fail
	// Names #5's decision (made for main) as made for release.
	pass5 := add(store.Record{Kind: store.KindPRDecision, PR: 5, SHA: "h5", Outcome: "pass", Facts: factsOn(5, "main", "h5"), Decision: decision(policy.OutcomePass, "ok").JSON()})
	merge(5, "h5", &policy.MergeDecision{Seq: pass5, SHA: "h5", BaseRef: "release", Outcome: "pass"}, "stale", "merged into main but the last decision was made for release")
	stale := policy.JudgeMerge(policy.MergeFacts{HeadSHA: "h6", BaseRef: "main", Decision: &policy.MergeDecision{Seq: pass7, SHA: "h5", BaseRef: "main", Outcome: "pass"}})
	merge(6, "h6", &policy.MergeDecision{Seq: pass7, SHA: "h5", BaseRef: "main", Outcome: "pass"}, stale.Outcome, stale.Violation)
	add(store.Record{Kind: store.KindViolation, PR: 6, SHA: "mh6", Actor: "bob", Outcome: "violation",
		Facts: doc(map[string]any{"head_sha": "h6", "base_ref": "main", "decision": &policy.MergeDecision{Seq: pass7, SHA: "h5", BaseRef: "main", Outcome: "pass"}, "violation": stale.Violation})})

	// Direct pushes: the violation is policy.DecidePush of the recorded push facts.
	push := func(after string, f policy.PushFacts, d policy.PushDecision) {
		f.Repository, f.Branch, f.DefaultBranch, f.Before, f.After, f.Pusher = "acme/pay", "main", "main", "b0", after, "root"
		if f.Commits == nil {
			f.Commits = []string{after}
		}
		add(store.Record{Kind: store.KindViolation, SHA: after, Subject: "push:" + after, Actor: "root", Outcome: "violation", Facts: doc(f), Decision: doc(d)})
	}
	direct := policy.PushFacts{MergedPRs: []policy.MergedPR{}}
	direct.Repository, direct.Branch, direct.DefaultBranch, direct.Before, direct.After, direct.Pusher, direct.Commits = "acme/pay", "main", "main", "b0", "p1", "root", []string{"p1"}
	push("p1", policy.PushFacts{MergedPRs: []policy.MergedPR{}}, policy.DecidePush(direct))
	// Recorded as a violation, but the facts say it is the merge of a PR that passed.
	push("p2", policy.PushFacts{MergedPRs: []policy.MergedPR{{Number: 7, MergeCommitSHA: "p2", HeadSHA: "h7", DecisionOutcome: "pass", DecisionSHA: "h7"}}},
		policy.PushDecision{Violation: true, Reason: "pushed directly to main by root, not from a pull request merged with a passing decision"})

	// Shared heads: PR 11 (to release) fails on head hs, PR 10 (to main) passes; the run
	// shows the worst. PR 12 shares head hx with PR 11's decision there... and claims a pass.
	fail11 := add(store.Record{Kind: store.KindPRDecision, PR: 11, SHA: "hs", Outcome: "fail", Facts: factsOn(11, "release", "hs"), Decision: decision(policy.OutcomeFail, "not approved").JSON()})
	own10 := decision(policy.OutcomePass, "1 rule passes")
	pass10 := add(store.Record{Kind: store.KindPRDecision, PR: 10, SHA: "hs", Outcome: "pass", Facts: factsOn(10, "main", "hs"), Decision: own10.JSON()})
	other := decision(policy.OutcomeFail, "not approved")
	shown := policy.SharedHead(policy.HeadDecision{PR: 10, Base: "main", Decision: &own10}, []policy.HeadDecision{{PR: 11, Base: "release", Decision: &other}})
	parts := func(self, selfSeq, otherSeq int64) json.RawMessage {
		return doc(map[string]any{"head_sha": "hs", "decisions": []map[string]any{
			{"pr": self, "seq": selfSeq, "outcome": "pass", "base": "main"}, {"pr": 11, "seq": otherSeq, "outcome": "fail", "base": "release"}}})
	}
	add(store.Record{Kind: store.KindSharedHead, PR: 10, SHA: "hs", Subject: "head:hs", Outcome: string(shown.Outcome), Facts: parts(10, pass10, fail11), Decision: shown.JSON()})
	pass12 := add(store.Record{Kind: store.KindPRDecision, PR: 12, SHA: "hs", Outcome: "pass", Facts: factsOn(12, "main", "hs"), Decision: own10.JSON()})
	forged := shown
	forged.Outcome, forged.Title = policy.OutcomePass, "1 rule passes"
	add(store.Record{Kind: store.KindSharedHead, PR: 12, SHA: "hs", Subject: "head:hs", Outcome: "pass", Facts: parts(12, pass12, fail11), Decision: forged.JSON()})

	// Merge queue groups: the group's decision is policy.MergeGroup of its recorded facts.
	group := policy.MergeGroupFacts{HeadSHA: "g1", PRs: []policy.GroupPR{{Number: 7, Title: "pay", HeadSHA: "h7", Decision: decision(policy.OutcomePass, "ok")}},
		Unattributed: []string{}}
	add(store.Record{Kind: store.KindMergeGroup, SHA: "g1", Subject: "merge_group:g1", Outcome: "pass", Facts: doc(group), Decision: policy.MergeGroup(group).JSON()})
	sneaked := group
	sneaked.HeadSHA, sneaked.Unattributed = "g2", []string{"c0ffee0"}
	claimed := policy.MergeGroup(group)
	add(store.Record{Kind: store.KindMergeGroup, SHA: "g2", Subject: "merge_group:g2", Outcome: "pass", Facts: doc(sneaked), Decision: claimed.JSON()})
	return st, st
}

func TestRecordReperformance(t *testing.T) {
	st, src := recordsStore(t)
	for _, tc := range []struct {
		name        string
		q           ChangeQuery
		reperformed int
		want        string
	}{
		{name: "merge with a passing decision", q: ChangeQuery{PR: 7}, reperformed: 1},
		{name: "merge recorded as a pass under a failing decision", q: ChangeQuery{PR: 8}, reperformed: 1, want: "re-performed verdict differs from the recorded one (recorded pass, re-performed fail"},
		{name: "merge naming a decision the decision record contradicts", q: ChangeQuery{PR: 9}, want: "the decision that stood (record 5) is fail"},
		{name: "stale merge and its violation", q: ChangeQuery{PR: 6}, reperformed: 2},
		{name: "merge naming another base than its decision's", q: ChangeQuery{PR: 5}, want: `was made for base "main", the merge names "release"`},
		{name: "direct push", q: ChangeQuery{SHA: "p1"}, reperformed: 1},
		{name: "a merge's push recorded as a direct push", q: ChangeQuery{SHA: "p2"}, reperformed: 1, want: "recorded violation, re-performed no violation"},
		{name: "shared head, another PR's decision from before the change", q: ChangeQuery{PR: 10}, reperformed: 1},
		{name: "merge group", q: ChangeQuery{SHA: "g1"}, reperformed: 1},
		{name: "merge group passed with a commit of no PR", q: ChangeQuery{SHA: "g2"}, reperformed: 1, want: "recorded pass, re-performed fail"},
		{name: "shared head showing a pass over a failing PR", q: ChangeQuery{PR: 12}, reperformed: 1, want: "recorded pass, re-performed fail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tc.q.Repo = "acme/pay"
			if err := WritePackage(context.Background(), &buf, src, tc.q, PackageOptions{Policies: st.(PolicyTexts)}); err != nil {
				t.Fatal(err)
			}
			res := verifyBytes(t, buf.Bytes(), "")
			got := strings.Join(res.Problems, "\n")
			if tc.want == "" && !res.OK() || tc.want != "" && !strings.Contains(got, tc.want) {
				t.Fatalf("problems %q, want %q", res.Problems, tc.want)
			}
			if res.Reperformed != tc.reperformed {
				t.Errorf("re-performed %d, want %d (notes %v, problems %v)", res.Reperformed, tc.reperformed, res.Notes, res.Problems)
			}
		})
	}
}

// The documents re-performance reads come from a package: outside input. Whatever they
// hold, re-performance does not panic, and never calls a record the same as its
// re-performance when the recorded outcome is not the one re-derived.
func FuzzReperformRecords(f *testing.F) {
	in := policy.PolicyInputs{Format: policy.InputsFormat, Path: ".github/foureyes.yml", Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: deployPolicy}}}
	p, _ := in.Assemble()
	f.Add(`{"environment":"production","sha":"m1","deployment_options":{"unknown_environments":["p*"]}}`, `{"state":"approved"}`, "approved", int64(1))
	f.Add(`{"head_sha":"h1","base_ref":"main","decision":{"seq":1,"sha":"h1","base_ref":"main","outcome":"pass"}}`, ``, "pass", int64(1))
	f.Add(`{"branch":"main","default_branch":"main","before":"a","after":"b","merged_prs":[]}`, `{"violation":true}`, "violation", int64(0))
	f.Add(`{"head_sha":"hs","decisions":[{"pr":1,"seq":1,"outcome":"pass","base":"main"},{"pr":2,"outcome":"none","base":"dev"}]}`, `{}`, "pending", int64(1))
	f.Add(`{"head_sha":"g","prs":[{"number":1,"decision":{"outcome":"pass"}}],"unattributed":[]}`, `{}`, "pass", int64(1))
	f.Fuzz(func(t *testing.T, facts, decision, outcome string, seq int64) {
		w := Row{Seq: 9, Outcome: outcome, Facts: facts, Decision: decision, PolicyDigest: p.Digest(), Subject: "push:b"}
		rows := map[int64]Row{seq: {Seq: seq, PR: 1, SHA: "hs", Outcome: "pass", Decision: `{"outcome":"pass","title":"ok","rules":[]}`, Facts: facts}}
		for _, fn := range []func() (Reperformed, error){
			func() (Reperformed, error) { return ReperformDeployment(w, in.JSON()) },
			func() (Reperformed, error) { return ReperformMerge(w, rows) },
			func() (Reperformed, error) { return ReperformPush(w) },
			func() (Reperformed, error) { return ReperformSharedHead(w, rows) },
			func() (Reperformed, error) { return ReperformMergeGroup(w) },
		} {
			r, err := fn()
			if err == nil && r.Same && string(r.Again) != outcome {
				t.Fatalf("re-performed %q, recorded %q, called the same", r.Again, outcome)
			}
		}
	})
}
