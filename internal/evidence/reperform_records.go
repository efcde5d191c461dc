package evidence

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// errNotReperformable is a record that lacks what re-performance needs (recorded by an
// older version): a note, not a problem.
var errNotReperformable = errors.New("not re-performable")

func notReperformable(why string) error { return fmt.Errorf("%w: %s", errNotReperformable, why) }

// recordedDeployment is the facts document of a deployment_decision record: the facts
// the policy saw, and the gate options it was decided with (the gate's provenance
// fields are not inputs of the decision).
type recordedDeployment struct {
	policy.DeploymentFacts
	Options *policy.DeploymentOptions `json:"deployment_options"`
}

// ReperformDeployment decides a recorded deployment again with this binary's engine
// (policy.DeploymentOptions.Decide), from its recorded facts, its recorded gate options
// and the policy inputs stored under its recorded policy digest: the inputs must
// assemble to that digest (or, for a policy error, be the recorded inputs and fail), and
// the decision must come out as recorded.
func ReperformDeployment(w Row, inputs []byte) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	in, err := policy.ParseInputs(inputs)
	if err != nil {
		return out, err
	}
	var f recordedDeployment
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	p, err := in.Assemble()
	var d policy.DeploymentDecision
	switch {
	case strings.HasPrefix(w.PolicyDigest, "inputs:"):
		if policy.InputsDigest(in) != w.PolicyDigest {
			return out, fmt.Errorf("the policy inputs are not those recorded (%s)", w.PolicyDigest)
		}
		if err == nil {
			out.Again = policy.Outcome(policy.DeploymentApproved)
			out.Decision = policy.Decision{Title: "the policy assembles without error"}
			return out, nil
		}
		d = policy.DeploymentErrorDecision(f.Environment, f.SHA, err)
		d.PolicyDigest = w.PolicyDigest
	case err != nil:
		return out, fmt.Errorf("the policy does not assemble: %v", err)
	case p.Digest() != w.PolicyDigest:
		return out, fmt.Errorf("the policy inputs assemble to %s, not the recorded policy %s", p.Digest(), w.PolicyDigest)
	case f.Options == nil:
		return out, notReperformable("the record names no deployment gate options")
	default:
		d = f.Options.Decide(p, f.DeploymentFacts)
	}
	out.Again = policy.Outcome(d.State)
	out.Decision = policy.Decision{Outcome: d.Outcome, Title: d.Title}
	out.Same = string(d.State) == w.Outcome && sameJSON(d.JSON(), []byte(w.Decision))
	return out, nil
}

// recordedMerge is the facts document of a merge record (and of the violation appended
// with it): policy.MergeFacts and the violation the verdict named.
type recordedMerge struct {
	policy.MergeFacts
	Violation string `json:"violation"`
}

// ReperformMerge judges a recorded merge again (policy.JudgeMerge) from the facts it
// holds: a merge record must carry the verdict's outcome and violation, a merge violation
// the verdict's violation. When the decision that stood is itself in the package, it must
// be the one the merge facts name (its outcome and head SHA).
func ReperformMerge(w Row, rows map[int64]Row) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	var f recordedMerge
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	if f.HeadSHA == "" {
		return out, notReperformable("the record names no merged head")
	}
	if d := f.Decision; d != nil {
		if r, ok := rows[d.Seq]; ok && (r.Outcome != d.Outcome || r.SHA != d.SHA) {
			return out, fmt.Errorf("the decision that stood (record %d) is %s on %.7s, the merge names %s on %.7s", d.Seq, r.Outcome, r.SHA, d.Outcome, d.SHA)
		} else if ok && r.Facts != "" && baseOf(r.Facts) != d.BaseRef {
			return out, fmt.Errorf("the decision that stood (record %d) was made for base %q, the merge names %q", d.Seq, baseOf(r.Facts), d.BaseRef)
		}
	}
	v := policy.JudgeMerge(f.MergeFacts)
	out.Decision = policy.Decision{Outcome: policy.Outcome(v.Outcome), Title: v.Violation}
	if v.Violation == "" {
		out.Decision.Title = "merged with a passing decision"
	}
	if w.Kind == string(store.KindViolation) {
		out.Again = policy.Outcome(v.Outcome)
		if v.Violation != "" {
			out.Again = "violation"
		}
		out.Same = v.Violation != "" && w.Outcome == "violation" && v.Violation == f.Violation
		return out, nil
	}
	out.Again = policy.Outcome(v.Outcome)
	out.Same = v.Outcome == w.Outcome && v.Violation == f.Violation
	return out, nil
}

// ReperformPush judges a recorded direct-push violation again (policy.DecidePush) from
// the push facts it holds.
func ReperformPush(w Row) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	var f policy.PushFacts
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	d := policy.DecidePush(f)
	b, err := json.Marshal(d) // as the push handler records it
	if err != nil {
		return out, err
	}
	out.Again, out.Decision = "no violation", policy.Decision{Title: d.Reason}
	if d.Violation {
		out.Again = "violation"
	}
	out.Same = d.Violation && w.Outcome == "violation" && sameJSON(b, []byte(w.Decision))
	return out, nil
}

// sharedHeadFacts is the facts document of a shared_head record: the decisions it
// combines, the record's own pull request first.
type sharedHeadFacts struct {
	HeadSHA   string `json:"head_sha"`
	Decisions []struct {
		PR      int    `json:"pr"`
		Seq     int64  `json:"seq"`
		Outcome string `json:"outcome"`
		Base    string `json:"base"`
	} `json:"decisions"`
}

// ReperformSharedHead combines again (policy.SharedHead) the decisions a shared_head
// record names, each read from its own record in the package: each must be the decision
// of that pull request on that head with the outcome named, and the combination must come
// out as recorded. A record whose decisions precede the package is not re-performed.
func ReperformSharedHead(w Row, rows map[int64]Row) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	var f sharedHeadFacts
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	if len(f.Decisions) < 2 {
		return out, fmt.Errorf("a shared head combines %d decisions", len(f.Decisions))
	}
	heads := make([]policy.HeadDecision, 0, len(f.Decisions))
	for _, part := range f.Decisions {
		h := policy.HeadDecision{PR: part.PR, Base: part.Base}
		if part.Seq != 0 {
			r, ok := rows[part.Seq]
			if !ok || r.Decision == "" {
				return out, notReperformable(fmt.Sprintf("the decision of #%d it combines (record %d) is not in the package", part.PR, part.Seq))
			}
			if r.PR != part.PR || r.SHA != f.HeadSHA || r.Outcome != part.Outcome {
				return out, fmt.Errorf("record %d is not the decision of #%d on %.7s it names (#%d, %s on %.7s)", r.Seq, part.PR, f.HeadSHA, r.PR, r.Outcome, r.SHA)
			}
			var d policy.Decision
			if err := json.Unmarshal([]byte(r.Decision), &d); err != nil {
				return out, fmt.Errorf("the decision of record %d does not decode: %v", r.Seq, err)
			}
			h.Decision = &d
			if h.Base == "" {
				h.Base = baseOf(r.Facts)
			}
		}
		if h.Base == "" {
			return out, notReperformable(fmt.Sprintf("the record names no base of #%d", part.PR))
		}
		heads = append(heads, h)
	}
	d := policy.SharedHead(heads[0], heads[1:])
	out.Decision, out.Again = d, d.Outcome
	out.Same = string(d.Outcome) == w.Outcome && sameJSON(d.JSON(), []byte(w.Decision))
	return out, nil
}

// baseOf is the base ref of a pull-request decision's facts ("" when none).
func baseOf(facts string) string {
	var f struct {
		PullRequest struct {
			Base struct {
				Ref string `json:"ref"`
			} `json:"base"`
		} `json:"pull_request"`
	}
	if json.Unmarshal([]byte(facts), &f) != nil {
		return ""
	}
	return f.PullRequest.Base.Ref
}

// ReperformMergeGroup decides a recorded merge queue group again (policy.MergeGroup) from
// the facts it holds: its pull requests with their decisions, and the commits none of
// them accounts for.
func ReperformMergeGroup(w Row) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	var f policy.MergeGroupFacts
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	d := policy.MergeGroup(f)
	out.Decision, out.Again = d, d.Outcome
	out.Same = string(d.Outcome) == w.Outcome && sameJSON(d.JSON(), []byte(w.Decision))
	return out, nil
}

// ReperformReview judges a recorded post-implementation review (a `pir` record) again
// (policy.ReviewAfterEmergency) from its recorded facts, the policy its digest names, and
// the rules the emergency waived, read from the PR's merge record in the package: the
// review must close the obligation exactly as recorded.
func ReperformReview(w Row, inputs []byte, rows map[int64]Row) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	in, err := policy.ParseInputs(inputs)
	if err != nil {
		return out, err
	}
	p, err := in.Assemble()
	if err != nil {
		return out, fmt.Errorf("the policy does not assemble: %v", err)
	}
	if p == nil || p.Digest() != w.PolicyDigest {
		return out, fmt.Errorf("the policy inputs do not assemble to the recorded policy %s", w.PolicyDigest)
	}
	var merge *Row
	for seq, r := range rows {
		if r.Kind == string(store.KindMerge) && r.Repository == w.Repository && r.PR == w.PR && seq < w.Seq && (merge == nil || seq > merge.Seq) {
			r := r
			merge = &r
		}
	}
	if merge == nil {
		return out, fmt.Errorf("no merge record of %s#%d precedes the review", w.Repository, w.PR)
	}
	var md policy.Decision
	if err := json.Unmarshal([]byte(merge.Decision), &md); err != nil {
		return out, fmt.Errorf("the merge record's decision does not decode: %v", err)
	}
	a, ok := md.ActiveDeclaration()
	if !ok {
		return out, fmt.Errorf("the merge (record %d) was not an emergency change: there is no review to owe", merge.Seq)
	}
	var f policy.Facts
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	rr := policy.ReviewAfterEmergency(p, f, a.Rules)
	out.Again = "open"
	if rr.Closed {
		out.Again = "closed"
	}
	out.Decision = policy.Decision{Outcome: out.Again, Title: rr.Reason}
	out.Same = rr.Closed && w.Outcome == "closed" && sameJSON(rr.JSON(), []byte(w.Decision))
	return out, nil
}
