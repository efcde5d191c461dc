package evidence_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/evidence"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// A recorded review after an emergency merge is re-performed from its facts, the policy
// its digest names and the rules the merge's declaration waived; a review the engine
// does not give (a pir recorded for the author's own approval) is reported as differing.
func TestReviewReperformance(t *testing.T) {
	const src = "version: 1\nrules:\n  - name: r\n    approvals: {count: 1}\n    emergency: {declared_by: {users: [ivan]}}\n"
	in := policy.PolicyInputs{Format: policy.InputsFormat, Path: ".github/foureyes.yml", Missing: "neutral",
		Files: []policy.PolicyFile{{Role: policy.RoleRepo, Name: ".github/foureyes.yml", Text: src}}}
	p, err := in.Assemble()
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Repeat("a", 40)
	decl := policy.Declaration{By: "ivan", At: "2026-11-20T03:00:00Z", Reference: "INC-1", HeadSHA: head}
	merged := policy.Decision{Outcome: policy.OutcomePass, Rules: []policy.RuleResult{},
		Emergency: &policy.EmergencyResult{Active: 0, Declarations: []policy.DeclarationResult{{Declaration: decl, Status: policy.DeclarationAccepted, Rules: []string{"r"}}}}}
	facts := func(reviewer string) policy.Facts {
		return policy.Facts{Version: policy.FactsVersion, Repository: "acme/pay",
			PullRequest: policy.PullRequest{Number: 4, Author: "alice", State: "closed", Merged: true, Base: policy.GitRef{Ref: "main"}, Head: policy.GitRef{Ref: "fix", SHA: head}},
			Commits:     []policy.Commit{{SHA: head, Author: "alice", Committer: "alice"}},
			Reviews:     []policy.Review{{ID: 1, User: reviewer, State: "APPROVED", CommitID: head, SubmittedAt: "2026-11-21T09:00:00Z"}},
			Users:       map[string]policy.User{reviewer: {Permission: "write"}}}
	}
	rows := map[int64]evidence.Row{
		3: {Seq: 3, Kind: string(store.KindMerge), Repository: "acme/pay", PR: 4, Outcome: "pass", Decision: string(merged.JSON())},
	}
	pir := func(reviewer string, recorded policy.ReviewResult) evidence.Row {
		f, _ := json.Marshal(facts(reviewer))
		return evidence.Row{Seq: 5, Kind: string(store.KindPIR), Repository: "acme/pay", PR: 4, Outcome: "closed",
			PolicyDigest: p.Digest(), Facts: string(f), Decision: string(recorded.JSON())}
	}
	honest := policy.ReviewAfterEmergency(p, facts("bob"), []string{"r"})
	if !honest.Closed {
		t.Fatalf("bob's approval does not close the review: %s", honest.Reason)
	}
	r, err := evidence.ReperformReview(pir("bob", honest), in.JSON(), rows)
	if err != nil || !r.Same {
		t.Fatalf("honest review: same=%v err=%v (%s)", r.Same, err, r.Decision.Title)
	}
	// A pir claiming alice (the author) reviewed it: the engine keeps the obligation open.
	forged := honest
	forged.Reviewers = []string{"alice"}
	r, err = evidence.ReperformReview(pir("alice", forged), in.JSON(), rows)
	if err != nil || r.Same {
		t.Fatalf("a review by the author re-performed as the same: same=%v err=%v", r.Same, err)
	}
	// Without the merge that owed it, there is nothing to review.
	if _, err := evidence.ReperformReview(pir("bob", honest), in.JSON(), map[int64]evidence.Row{}); err == nil {
		t.Fatal("a review with no emergency merge before it re-performed")
	}
}
