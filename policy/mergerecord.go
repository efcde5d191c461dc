package policy

import "fmt"

// MergeFacts is what a merge record is judged from: what was merged, and the foureyes
// decision that stands for it. They are recorded in the merge record (its facts), so
// the verdict is re-derivable from the record alone.
type MergeFacts struct {
	HeadSHA string `json:"head_sha"`
	BaseRef string `json:"base_ref"`
	// Decision is the decision that stands: the PR's last one, or one judged afresh at
	// the merge (JudgedAtMerge) when the last was not made for this head and base.
	// Nil: no decision at all.
	Decision *MergeDecision `json:"decision,omitempty"`
}

// MergeDecision is one recorded pull request decision, as a merge record sees it.
type MergeDecision struct {
	Seq     int64  `json:"seq"`
	SHA     string `json:"sha"`      // the head SHA it was made on
	BaseRef string `json:"base_ref"` // the base it was made for; "" when unknown (a policy error)
	Outcome string `json:"outcome"`  // pass, fail, pending, error
	// JudgedAtMerge: the decision was made when the merge was recorded, from the facts at
	// the merge, because the last decision was made for another head or base.
	JudgedAtMerge bool `json:"judged_at_merge,omitempty"`
}

// MergeVerdict is the outcome of a merge record and, when the merge broke the control,
// why: a violation record is then appended too.
type MergeVerdict struct {
	// Outcome is the standing decision's outcome, "none" without one, and "stale" for a
	// pass that does not stand for what was merged.
	Outcome   string `json:"outcome"`
	Violation string `json:"violation,omitempty"`
}

// Stands says whether d was made for exactly what was merged: the merged head SHA, under
// the merged base's policy. Only such a decision can make a merge pass.
func (m MergeFacts) Stands(d *MergeDecision) bool {
	return d != nil && d.SHA == m.HeadSHA && d.BaseRef != "" && d.BaseRef == m.BaseRef
}

// JudgeMerge decides a merge record. A merge passes only when the standing decision was a
// pass made for the merged head SHA and base ref; every other merge is a violation (an
// admin bypass, a removed required check, a race, a base retargeted after the decision),
// never a pass.
func JudgeMerge(m MergeFacts) MergeVerdict {
	d := m.Decision
	switch {
	case d == nil:
		return MergeVerdict{Outcome: "none", Violation: "merged without any foureyes decision"}
	case d.SHA != m.HeadSHA:
		return stale(d, fmt.Sprintf("merged at %.7s but the last decision was on %.7s", m.HeadSHA, d.SHA))
	case d.BaseRef == "":
		return stale(d, "merged into "+m.BaseRef+" but the base the last decision was made for is unknown")
	case d.BaseRef != m.BaseRef:
		return stale(d, "merged into "+m.BaseRef+" but the last decision was made for "+d.BaseRef)
	case d.Outcome != string(OutcomePass):
		v := "merged while the foureyes decision was " + d.Outcome
		if d.JudgedAtMerge {
			v = "merged while the foureyes decision, judged at the merge, was " + d.Outcome
		}
		return MergeVerdict{Outcome: d.Outcome, Violation: v}
	}
	return MergeVerdict{Outcome: string(OutcomePass)}
}

func stale(d *MergeDecision, why string) MergeVerdict {
	out := d.Outcome
	if out == string(OutcomePass) {
		out = "stale"
	}
	return MergeVerdict{Outcome: out, Violation: why}
}
