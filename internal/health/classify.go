package health

import (
	"slices"
	"strings"
)

// State is a repository's control state.
type State string

// States. docs/audit.md, "Control health", defines them for auditors.
const (
	// Enforced: the default branch requires the check pinned to this app, and pull requests.
	Enforced State = "enforced"
	// Unpinned: the check is required by name only (any app, or another app, can satisfy it).
	Unpinned State = "unpinned"
	// Missing: the check is not required, or pull requests are not.
	Missing State = "missing"
	// Unknown: the rules could not be read.
	Unknown State = "unknown"
)

// Classic is what the classic protection read gave.
type Classic string

// Outcomes of reading classic protection.
const (
	ClassicRead      Classic = "read"
	ClassicNone      Classic = "not protected"
	ClassicForbidden Classic = "not readable (no administration: read)"
)

// Observation is everything read about a repository's default branch.
type Observation struct {
	Repository    string     `json:"repository"`
	Branch        string     `json:"branch"`
	RulesError    string     `json:"rules_error,omitempty"` // the rules could not be read
	Rules         []Rule     `json:"rules"`
	Classic       Classic    `json:"classic_protection"`
	Protection    Protection `json:"-"`
	CheckName     string     `json:"check_name"`
	AppID         int64      `json:"app_id"`
	RulesetIDs    []int64    `json:"ruleset_ids,omitempty"` // the rulesets that require the check
	ClassicPinned bool       `json:"classic_pinned,omitempty"`
}

// Result is a classification and why.
type Result struct {
	State  State  `json:"state"`
	Reason string `json:"reason"`
}

// Classify decides the control state of an observation: a pure function.
func Classify(o Observation) Result {
	if o.RulesError != "" {
		return Result{Unknown, "the rules of " + o.Branch + " could not be read: " + o.RulesError}
	}
	pinned, byName, prs := false, false, false
	var why []string
	for _, r := range o.Rules {
		switch r.Type {
		case RulePullRequest:
			prs = true
		case RuleRequiredStatusChecks:
			checks, _ := r.RequiredChecks()
			for _, c := range checks {
				if c.Context != o.CheckName {
					continue
				}
				if c.IntegrationID != nil && *c.IntegrationID == o.AppID {
					pinned = true
				} else {
					byName = true
				}
			}
		}
	}
	if o.Classic == ClassicRead {
		if o.Protection.RequiredPullRequestReviews != nil {
			prs = true
		}
		if rc := o.Protection.RequiredStatusChecks; rc != nil {
			for _, c := range rc.Checks {
				if c.Context != o.CheckName {
					continue
				}
				if c.AppID != nil && *c.AppID == o.AppID {
					pinned = true
				} else {
					byName = true
				}
			}
			if slices.Contains(rc.Contexts, o.CheckName) && len(rc.Checks) == 0 {
				byName = true
			}
		}
	}
	switch {
	case pinned && prs:
		return Result{Enforced, "the " + o.CheckName + " check is required from this app (id " + itoa(o.AppID) + ") and pull requests are required on " + o.Branch}
	case byName || pinned:
		if !pinned {
			why = append(why, "the "+o.CheckName+" check is required by name only: another app or a workflow can satisfy it")
		}
		if !prs {
			why = append(why, "pull requests are not required on "+o.Branch)
		}
		if pinned {
			return Result{Missing, strings.Join(why, "; ")}
		}
		return Result{Unpinned, strings.Join(why, "; ")}
	}
	reason := "the " + o.CheckName + " check is not required on " + o.Branch
	if o.Classic == ClassicForbidden {
		reason += " by any ruleset (classic branch protection not readable)"
	}
	return Result{Missing, reason}
}
