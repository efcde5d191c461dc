package policy

import (
	"strconv"
	"strings"
)

// KindMergeGroup is the requirement that every commit of a merge group comes from a pull
// request foureyes judged.
const KindMergeGroup = "merge_group"

// GroupPR is one pull request of a merge group and its decision, made now on its own head
// under its base branch's policy.
type GroupPR struct {
	Number   int      `json:"number"`
	Title    string   `json:"title"`
	HeadSHA  string   `json:"head_sha"`
	Decision Decision `json:"decision"`
}

// MergeGroupFacts is what a merge group's check is decided from: every pull request found
// in the group (named by the queue ref, the head commit, or any commit of the group), and
// the group's commits that none of them accounts for.
type MergeGroupFacts struct {
	HeadSHA string    `json:"head_sha"`
	PRs     []GroupPR `json:"prs"`
	// Unattributed are commits of the group (base...head) that are neither a merge commit
	// naming a pull request of the group nor a commit of one: nobody judged them.
	Unattributed []string `json:"unattributed"`
	// Incomplete says why the group's commits could not all be listed ("" when they were).
	Incomplete string `json:"incomplete,omitempty"`
}

// MergeGroup decides a merge queue group: it passes only when the group's commits were
// listed in full, every one of them belongs to a pull request of the group, and every
// such pull request passes. A group is never judged by the last pull request alone.
func MergeGroup(f MergeGroupFacts) Decision {
	d := Decision{Outcome: OutcomePass, Rules: make([]RuleResult, 0, len(f.PRs)+1)}
	var failing []string
	for _, pr := range f.PRs {
		st := StatusPass
		if pr.Decision.Outcome != OutcomePass {
			st = StatusFail
			failing = append(failing, "#"+strconv.Itoa(pr.Number))
		}
		d.Rules = append(d.Rules, RuleResult{
			Name: "#" + strconv.Itoa(pr.Number) + " " + pr.Title, Status: st,
			Reason:       string(pr.Decision.Outcome) + " on " + short(pr.HeadSHA) + ": " + pr.Decision.Title,
			Requirements: []RequirementResult{},
		})
	}
	var problems []string
	switch {
	case f.Incomplete != "":
		problems = append(problems, "cannot list the commits of the group: "+f.Incomplete)
	case len(f.Unattributed) > 0:
		shorts := make([]string, len(f.Unattributed))
		for i, s := range f.Unattributed {
			shorts[i] = short(s)
		}
		problems = append(problems, "commits of the group belong to no pull request of it: "+strings.Join(shorts, ", "))
	}
	if len(problems) > 0 {
		d.Rules = append(d.Rules, RuleResult{Name: "commits of the merge group", Status: StatusFail, Reason: problems[0],
			Requirements: []RequirementResult{{Kind: KindMergeGroup, Status: StatusFail, Reason: problems[0], Evidence: []Evidence{}}}})
	}
	switch {
	case len(f.PRs) == 0:
		d.Outcome, d.Title = OutcomeFail, "cannot tell which pull requests this merge group holds"
	case len(failing) > 0:
		d.Outcome, d.Title = OutcomeFail, "not approved: "+strings.Join(failing, ", ")
	case len(problems) > 0:
		d.Outcome, d.Title = OutcomeFail, problems[0]
	default:
		d.Title = "all " + strconv.Itoa(len(f.PRs)) + " pull request(s) in the group pass"
	}
	return d
}
