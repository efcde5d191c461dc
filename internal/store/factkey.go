package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// DefaultFactKey is the fact key Append gives a record that names none (docs/audit.md,
// "One record per fact"): the fact a record of that kind states, so the same fact
// appended again (a redelivery, a delivery processed again after its lease was taken
// over, an append retried after its COMMIT answer was lost) is stored once.
//
//	push                 push:<delivery>:<repo>#<pr>@<sha>
//	merge                merge:<repo>#<pr>@<merge commit sha>
//	violation            violation:<repo>#<pr>@<merge commit sha>
//	deployment_decision  deployment_decision:<repo>:<subject>   (one per run and environment)
//	deployment_event     deployment_event:<delivery>:<repo>:<subject>:<outcome>
//	installation         installation:<delivery>:<installation>:<outcome>
//	refused              refused:<delivery>:<repo>:<subject>
//	emergency            emergency:<repo>#<pr>:<subject>   (subject comment:<id>: one per comment)
//	pir                  pir:<repo>#<pr>                   (one review closes an emergency's obligation)
//
// Kinds keyed by their delivery get no key without one. Decisions (pr_decision,
// policy_error) get theirs from the evaluator (DecisionFactKey), and other kinds from
// whoever appends them; "" means no deduplication.
func DefaultFactKey(r Record) string {
	switch r.Kind {
	case KindMerge, KindViolation:
		if r.Repository == "" || r.SHA == "" {
			return ""
		}
		return fmt.Sprintf("%s:%s#%d@%s", r.Kind, r.Repository, r.PR, r.SHA)
	case KindDeploymentDecision, KindEmergency:
		if r.Subject == "" {
			return ""
		}
		if r.Kind == KindEmergency {
			return fmt.Sprintf("%s:%s#%d:%s", r.Kind, r.Repository, r.PR, r.Subject)
		}
		return fmt.Sprintf("%s:%s:%s", r.Kind, r.Repository, r.Subject)
	case KindPIR:
		return fmt.Sprintf("%s:%s#%d", r.Kind, r.Repository, r.PR)
	}
	if r.DeliveryID == "" {
		return ""
	}
	switch r.Kind {
	case KindPush:
		return fmt.Sprintf("push:%s:%s#%d@%s", r.DeliveryID, r.Repository, r.PR, r.SHA)
	case KindDeploymentEvent:
		return fmt.Sprintf("deployment_event:%s:%s:%s:%s", r.DeliveryID, r.Repository, r.Subject, r.Outcome)
	case KindInstallation:
		return fmt.Sprintf("installation:%s:%d:%s", r.DeliveryID, r.Installation, r.Outcome)
	case KindRefused:
		return fmt.Sprintf("refused:%s:%s:%s", r.DeliveryID, r.Repository, r.Subject)
	}
	return ""
}

// DecisionContent identifies what a decision record states: its kind, PR, head, subject,
// policy and the digests of its (compacted) facts and decision. Two evaluations from the
// same inputs give the same content; the delivery that asked is not part of it.
func DecisionContent(r Record) string {
	facts, _ := compactDoc(r.Facts)
	decision, _ := compactDoc(r.Decision)
	h := sha256.New()
	for _, f := range []string{string(r.Kind), r.Repository, fmt.Sprint(r.PR), r.SHA, r.Subject, r.PolicyDigest,
		r.PolicySource.Repo, r.PolicySource.Path, r.PolicySource.Ref, r.PolicySource.BlobSHA,
		DocumentDigest(facts), DocumentDigest(decision)} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// DecisionFactKey is the fact key of a decision appended after the PR's previous
// decision record prevSeq (0: none): "decision:<repo>#<pr>:<content>:after:<prevSeq>".
// Two evaluations of the same inputs after the same record (two replicas, a retried
// append) are one record; the same content again after a different decision (pass,
// then fail, then pass) is a new fact and is recorded.
func DecisionFactKey(r Record, prevSeq int64) string {
	return fmt.Sprintf("decision:%s#%d:%s:after:%d", r.Repository, r.PR, DecisionContent(r), prevSeq)
}

// factKeyOK bounds a key, which is indexed.
func factKeyOK(k string) error {
	if len(k) > 1024 || strings.ContainsRune(k, 0) {
		return fmt.Errorf("fact key of %d bytes or with NUL refused", len(k))
	}
	return nil
}
