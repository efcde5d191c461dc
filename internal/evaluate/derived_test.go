package evaluate

import (
	"testing"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

func prWithHead(sha string) *github.PullRequest {
	return &github.PullRequest{Number: github.Int(1), Head: &github.PullRequestBranch{SHA: github.String(sha)}}
}

// TestDerivedStateApplies: payloads seen since the last read are applied as a read of the
// same objects would show them.
func TestDerivedStateApplies(t *testing.T) {
	build1 := policy.Check{Name: "build", Source: "check_run", AppID: 1, ID: 10, Status: "completed", Conclusion: "failure"}
	build2 := policy.Check{Name: "build", Source: "check_run", AppID: 1, ID: 11, Status: "completed", Conclusion: "success"}
	otherApp := policy.Check{Name: "build", Source: "check_run", AppID: 2, ID: 12, Status: "completed", Conclusion: "success"}
	status := policy.Check{Name: "build", Source: "status", ID: 10, State: "success"}
	approve := policy.Review{ID: 5, User: "bob", State: "APPROVED"}
	dismissed := policy.Review{ID: 5, User: "bob", State: "DISMISSED"}
	tests := []struct {
		name        string
		deltas      []delta
		wantChecks  []policy.Check // nil: must be read
		wantReviews []policy.Review
	}{
		{name: "a re-run replaces the run of the same name and app", deltas: []delta{{check: &build2, sha: "h1"}},
			wantChecks: []policy.Check{otherApp, build2}, wantReviews: []policy.Review{}},
		{name: "a status never replaces a run", deltas: []delta{{check: &status, sha: "h1"}},
			wantChecks: []policy.Check{build1, otherApp, status}, wantReviews: []policy.Review{}},
		{name: "a check on another commit is ignored", deltas: []delta{{check: &build2, sha: "old"}},
			wantChecks: []policy.Check{build1, otherApp}, wantReviews: []policy.Review{}},
		{name: "a review is added, then replaced by its dismissal", deltas: []delta{{review: &approve}, {review: &dismissed}},
			wantChecks: []policy.Check{build1, otherApp}, wantReviews: []policy.Review{dismissed}},
		{name: "a new head: its checks are read", deltas: []delta{{pr: prWithHead("h2")}, {check: &build2, sha: "h2"}},
			wantChecks: nil, wantReviews: []policy.Review{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &Evaluator{}
			e.derived("o/r", 1, false) // the first evaluation starts: payloads are kept from now
			e.storeState("o/r", 1, known{}, prWithHead("h1"), &policy.Facts{Checks: []policy.Check{build1, otherApp}, Reviews: []policy.Review{}})
			for _, d := range tt.deltas {
				e.observe("o/r", 1, d, false)
			}
			kn := e.derived("o/r", 1, false)
			if !kn.derivedAny() {
				t.Fatal("nothing derived")
			}
			if (kn.checks == nil) != (tt.wantChecks == nil) || kn.checks != nil && !equalChecks(*kn.checks, tt.wantChecks) {
				t.Errorf("checks %+v, want %+v", kn.checks, tt.wantChecks)
			}
			if kn.reviews == nil || len(*kn.reviews) != len(tt.wantReviews) || len(tt.wantReviews) > 0 && (*kn.reviews)[0] != tt.wantReviews[0] {
				t.Errorf("reviews %+v, want %+v", kn.reviews, tt.wantReviews)
			}
			if fresh := e.derived("o/r", 1, true); fresh.derivedAny() {
				t.Errorf("a fresh (background) evaluation was given derived state")
			}
		})
	}
}

// TestDerivedStateKeepsLatePayloads: a payload that arrives while an evaluation runs is
// applied on top of that evaluation's read by the next one.
func TestDerivedStateKeepsLatePayloads(t *testing.T) {
	e := &Evaluator{}
	kn := e.derived("o/r", 1, false) // evaluation 1 starts, no state yet
	late := policy.Check{Name: "test", Source: "check_run", AppID: 1, ID: 20, Status: "completed", Conclusion: "success"}
	e.ObserveCheck("o/r", 1, "h1", late) // arrives during evaluation 1
	e.storeState("o/r", 1, kn, prWithHead("h1"), &policy.Facts{Checks: []policy.Check{}, Reviews: []policy.Review{}})
	next := e.derived("o/r", 1, false)
	if next.checks == nil || len(*next.checks) != 1 || (*next.checks)[0] != late {
		t.Fatalf("the follow-up sees checks %+v, want the late one", next.checks)
	}
	e.ForgetState("o/r", 1)
	if again := e.derived("o/r", 1, false); again.derivedAny() {
		t.Fatal("state survived ForgetState")
	}
}

func equalChecks(a, b []policy.Check) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestDerivedStateOpened: a PR just opened has no reviews to read, but a review seen
// before or during its first evaluation counts.
func TestDerivedStateOpened(t *testing.T) {
	approve := policy.Review{ID: 5, User: "bob", State: "APPROVED"}
	for _, reviewFirst := range []bool{false, true} {
		e := &Evaluator{}
		if reviewFirst { // the opened delivery was handled late
			e.ObserveReview("o/r", 1, approve)
		}
		e.ObserveOpened("o/r", prWithHead("h1"))
		if !reviewFirst {
			e.ObserveReview("o/r", 1, approve)
		}
		kn := e.derived("o/r", 1, false)
		if kn.pr == nil || kn.reviews == nil || len(*kn.reviews) != 1 || (*kn.reviews)[0] != approve {
			t.Errorf("review first %v: pr %v, reviews %+v; want the payload's PR and the one review", reviewFirst, kn.pr != nil, kn.reviews)
		}
		if kn.checks != nil {
			t.Errorf("checks of a new PR must be read (CI may have run before it was opened)")
		}
	}
}
