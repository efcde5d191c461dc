package policy

// PushFacts is what foureyes knows about one push to a branch when its webhook arrives:
// the input of DecidePush, recorded with the violation so the decision can be re-derived.
type PushFacts struct {
	Repository    string   `json:"repository"`
	Branch        string   `json:"branch"`
	DefaultBranch string   `json:"default_branch"`
	Before        string   `json:"before"`
	After         string   `json:"after"`
	Pusher        string   `json:"pusher"`
	Forced        bool     `json:"forced"`
	Commits       []string `json:"commits"` // the pushed commits, oldest first
	// MergedPRs are the merged pull requests whose merge commit is After (GitHub's
	// "pull requests of a commit"), each with the last decision foureyes recorded on it.
	MergedPRs []MergedPR `json:"merged_prs"`
}

// MergedPR is a merged pull request a push may come from.
type MergedPR struct {
	Number         int    `json:"number"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	HeadSHA        string `json:"head_sha"`
	MergedBy       string `json:"merged_by"`
	// DecisionOutcome and DecisionSHA are foureyes' last decision on the PR ("" when it
	// has none).
	DecisionOutcome string `json:"decision_outcome"`
	DecisionSHA     string `json:"decision_sha"`
	DecisionSeq     int64  `json:"decision_seq,omitempty"`
}

// PushDecision says whether a push went around the gate.
type PushDecision struct {
	Violation bool   `json:"violation"`
	Reason    string `json:"reason"`
	PR        int    `json:"pr,omitempty"` // the PR the push comes from, when it does
}

// DecidePush judges a push to a protected branch: only the default branch is protected by
// foureyes' control. A push there is legitimate only when its head is the merge commit of a
// pull request (whose merge record judges it: a merge without a passing decision is a
// merge violation); anything else (a direct push, an admin push, a bypass, a force push over
// the branch) is a violation. Creating the branch (before is all zeros) is not a change to
// a protected branch.
func DecidePush(f PushFacts) PushDecision {
	if f.Branch != f.DefaultBranch || f.After == "" || isZeroSHA(f.After) {
		return PushDecision{Reason: "not a push to the default branch"}
	}
	if f.Before == "" || isZeroSHA(f.Before) {
		return PushDecision{Reason: "the branch was created"}
	}
	for _, pr := range f.MergedPRs {
		if pr.MergeCommitSHA != f.After {
			continue
		}
		switch {
		case pr.DecisionOutcome == string(OutcomePass) && pr.DecisionSHA == pr.HeadSHA:
			return PushDecision{Reason: "the merge of #" + itoa(pr.Number) + ", which passed", PR: pr.Number}
		default:
			// A merge without a passing decision is a violation already, recorded with the
			// merge (one violation per change, not two).
			return PushDecision{Reason: "the merge of #" + itoa(pr.Number) + ", recorded as a merge violation", PR: pr.Number}
		}
	}
	reason := "pushed directly to " + f.Branch + " by " + f.Pusher + ", not from a pull request merged with a passing decision"
	if f.Forced {
		reason = "force-pushed to " + f.Branch + " by " + f.Pusher
	}
	return PushDecision{Violation: true, Reason: reason}
}

func isZeroSHA(s string) bool {
	for _, c := range s {
		if c != '0' {
			return false
		}
	}
	return true
}
