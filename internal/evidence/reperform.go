package evidence

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Reperformed is one recorded decision evaluated again.
type Reperformed struct {
	Seq      int64           `json:"seq"`
	Recorded policy.Outcome  `json:"recorded"`
	Again    policy.Outcome  `json:"reperformed"`
	Same     bool            `json:"same"`
	Decision policy.Decision `json:"-"`
}

// Reperform evaluates a recorded pull-request decision again, with this binary's engine,
// from its recorded facts and the policy inputs stored under its recorded policy digest:
// the inputs must assemble to that digest (else they are not the policy that decided), and
// the decision must come out byte for byte as recorded.
func Reperform(w Row, inputs []byte) (Reperformed, error) {
	out := Reperformed{Seq: w.Seq, Recorded: policy.Outcome(w.Outcome)}
	in, err := policy.ParseInputs(inputs)
	if err != nil {
		return out, err
	}
	p, err := in.Assemble()
	if strings.HasPrefix(w.PolicyDigest, "inputs:") {
		// A policy error: the inputs must be those recorded, and must fail as they did.
		if policy.InputsDigest(in) != w.PolicyDigest {
			return out, fmt.Errorf("the policy inputs are not those recorded (%s)", w.PolicyDigest)
		}
		if err == nil {
			out.Again, out.Same = policy.OutcomeError, false
			out.Decision = policy.Decision{Outcome: policy.Outcome("a valid policy"), Title: "the policy assembles without error"}
			return out, nil
		}
		d := policy.ErrorDecision(err)
		out.Decision, out.Again, out.Same = d, d.Outcome, sameJSON(d.JSON(), []byte(w.Decision))
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("the policy does not assemble: %v", err)
	}
	switch {
	case strings.HasPrefix(w.PolicyDigest, "none:"):
		if p != nil || w.PolicyDigest != policy.MissingDigest(in.Missing) {
			return out, fmt.Errorf("the policy inputs are not those of a repository without policy (%s)", w.PolicyDigest)
		}
	case p == nil || p.Digest() != w.PolicyDigest:
		return out, fmt.Errorf("the policy inputs assemble to %s, not the recorded policy %s", p.Digest(), w.PolicyDigest)
	}
	baseline, err := in.Baseline()
	if err != nil {
		return out, fmt.Errorf("the baseline does not parse: %v", err)
	}
	var f policy.Facts
	if err := json.Unmarshal([]byte(w.Facts), &f); err != nil {
		return out, fmt.Errorf("the facts do not decode: %v", err)
	}
	d := policy.DecidePR(policy.PRInput{Policy: p, Baseline: baseline, Missing: in.Missing, Path: in.Path, Facts: f})
	out.Decision, out.Again = d, d.Outcome
	out.Same = sameJSON(d.JSON(), []byte(w.Decision))
	return out, nil
}

// sameJSON compares two JSON documents byte for byte once compacted (the store keeps
// documents compacted).
func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// reperformAll re-performs every decision of the change that a pure policy function
// made: pull-request decisions and policy errors (policy.DecidePR), deployment decisions
// (policy.DeploymentOptions.Decide) from the policy their digest names, and merge
// records (policy.JudgeMerge), direct-push violations (policy.DecidePush), shared-head
// combinations (policy.SharedHead) and merge queue groups (policy.MergeGroup) from what
// their records hold.
func reperformAll(files map[string][]byte, rows map[int64]Row, m PackageManifest, res *VerifyResult, bad func(string, ...any)) {
	for _, seq := range m.ChangeRecords {
		w, ok := rows[seq]
		if !ok {
			continue
		}
		var (
			r   Reperformed
			err error
		)
		switch store.Kind(w.Kind) {
		case store.KindMerge, store.KindViolation, store.KindSharedHead, store.KindMergeGroup:
			if w.Facts == "" {
				res.Notes = append(res.Notes, fmt.Sprintf("record %d (%s): holds no facts: not re-performed", seq, w.Kind))
				continue
			}
		}
		switch store.Kind(w.Kind) {
		case store.KindPIR:
			inputs, ok := files[PolicyFileName(w.PolicyDigest)]
			if !ok {
				res.Notes = append(res.Notes, fmt.Sprintf("record %d: the package holds no policy text for %s: not re-performed", seq, w.PolicyDigest))
				continue
			}
			r, err = ReperformReview(w, inputs, rows)
		case store.KindPRDecision, store.KindPolicyError, store.KindDeploymentDecision:
			if w.Decision == "" {
				continue
			}
			if w.PolicyDigest == "" {
				res.Notes = append(res.Notes, fmt.Sprintf("record %d: names no policy digest: not re-performed", seq))
				continue
			}
			inputs, ok := files[PolicyFileName(w.PolicyDigest)]
			if !ok {
				res.Notes = append(res.Notes, fmt.Sprintf("record %d: the package holds no policy text for %s: not re-performed", seq, w.PolicyDigest))
				continue
			}
			if w.Kind == string(store.KindDeploymentDecision) {
				r, err = ReperformDeployment(w, inputs)
			} else {
				r, err = Reperform(w, inputs)
			}
		case store.KindMerge:
			r, err = ReperformMerge(w, rows)
		case store.KindViolation:
			if strings.HasPrefix(w.Subject, "push:") {
				r, err = ReperformPush(w)
			} else {
				r, err = ReperformMerge(w, rows)
			}
		case store.KindSharedHead:
			r, err = ReperformSharedHead(w, rows)
		case store.KindMergeGroup:
			r, err = ReperformMergeGroup(w)
		default:
			continue
		}
		if errors.Is(err, errNotReperformable) {
			res.Notes = append(res.Notes, fmt.Sprintf("record %d (%s): not re-performed: %v", seq, w.Kind, err))
			continue
		}
		if err != nil {
			bad("record %d: re-performance: %v", seq, err)
			continue
		}
		res.Reperformed++
		if !r.Same {
			bad("record %d: re-performed %s differs from the recorded one (recorded %s, re-performed %s: %s)", seq, what(w.Kind), r.Recorded, r.Again, r.Decision.Title)
		}
	}
}

// what names the decision of a record kind in a difference.
func what(kind string) string {
	switch store.Kind(kind) {
	case store.KindMerge, store.KindViolation:
		return "verdict"
	}
	return "decision"
}
