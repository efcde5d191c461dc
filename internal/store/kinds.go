package store

import (
	"slices"
	"sort"
)

// KnownKinds lists every record kind, sorted: what `audit export --kind` and other
// filters accept. A new Kind constant must be added here (TestEveryKindIsKnown parses
// store.go and fails otherwise).
func KnownKinds() []Kind {
	out := []Kind{KindPRDecision, KindPush, KindMerge, KindViolation, KindDeploymentDecision,
		KindDeploymentEvent, KindPolicyError, KindInstallation, KindRefused, KindControlHealth,
		KindEmergency, KindPIR, KindReviewNote, KindSharedHead, KindMergeGroup}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// IsKnownKind says whether k is one of KnownKinds.
func IsKnownKind(k Kind) bool { return slices.Contains(KnownKinds(), k) }
