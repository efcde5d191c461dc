package policy

import (
	"strings"
	"testing"
)

func TestDecidePush(t *testing.T) {
	base := PushFacts{Repository: "acme/pay", Branch: "main", DefaultBranch: "main", Before: "b0", After: "a1", Pusher: "root", Commits: []string{"a1"}}
	with := func(mod func(*PushFacts)) PushFacts { f := base; mod(&f); return f }
	for _, tc := range []struct {
		name      string
		f         PushFacts
		violation bool
		reason    string
	}{
		{"direct push", base, true, "pushed directly to main by root"},
		{"force push", with(func(f *PushFacts) { f.Forced = true }), true, "force-pushed to main by root"},
		{"other branch", with(func(f *PushFacts) { f.Branch = "feature" }), false, "not a push to the default branch"},
		{"branch created", with(func(f *PushFacts) { f.Before = strings.Repeat("0", 40) }), false, "created"},
		{"branch deleted", with(func(f *PushFacts) { f.After = strings.Repeat("0", 40) }), false, "not a push"},
		{"merge that passed", with(func(f *PushFacts) {
			f.MergedPRs = []MergedPR{{Number: 7, MergeCommitSHA: "a1", HeadSHA: "h", DecisionOutcome: "pass", DecisionSHA: "h"}}
		}), false, "the merge of #7, which passed"},
		{"merge without a pass is the merge's violation", with(func(f *PushFacts) {
			f.MergedPRs = []MergedPR{{Number: 7, MergeCommitSHA: "a1", HeadSHA: "h", DecisionOutcome: "fail", DecisionSHA: "h"}}
		}), false, "recorded as a merge violation"},
		{"a PR containing the commit but not merged as it", with(func(f *PushFacts) {
			f.MergedPRs = []MergedPR{{Number: 7, MergeCommitSHA: "other", HeadSHA: "h", DecisionOutcome: "pass", DecisionSHA: "h"}}
		}), true, "pushed directly"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := DecidePush(tc.f)
			if d.Violation != tc.violation || !strings.Contains(d.Reason, tc.reason) {
				t.Errorf("got %+v, want violation=%v reason containing %q", d, tc.violation, tc.reason)
			}
		})
	}
}
