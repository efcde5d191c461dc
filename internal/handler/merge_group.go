package handler

import (
	"context"
	"regexp"
	"sort"
	"strconv"

	"github.com/google/go-github/v60/github"
)

// MergeGroup handles merge_group checks_requested. When foureyes is a required check, the
// merge queue waits for it on the group's own head SHA; without an answer queued PRs
// never merge, and a blind "success" (what policy-bot posts) would let a PR that lost its
// approval in the queue through.
type MergeGroup struct{ *Base }

func (h *MergeGroup) Handles() []string { return []string{"merge_group"} }

func (h *MergeGroup) Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error {
	var ev github.MergeGroupEvent
	if err := decode(eventType, payload, &ev); err != nil {
		return err
	}
	if ev.GetAction() != "checks_requested" {
		return nil
	}
	g := ev.GetMergeGroup()
	repo := ev.GetRepo()
	prs := mergeGroupPRs(g.GetHeadRef(), g.GetHeadCommit().GetMessage())
	return h.Evaluator.MergeGroup(ctx, ev.GetInstallation().GetID(), repo.GetOwner().GetLogin(), repo.GetName(), g.GetHeadSHA(), prs, deliveryID)
}

var (
	queueRefPR = regexp.MustCompile(`/pr-([0-9]+)-[0-9a-f]+$`)
	messagePR  = regexp.MustCompile(`(?m)^Merge pull request #([0-9]+)|\(#([0-9]+)\)\r?$`)
)

// mergeGroupPRs reads the PR numbers of a merge group: the queue's ref names the last PR
// ("gh-readonly-queue/main/pr-42-<sha>") and the group's merge commit messages name each.
func mergeGroupPRs(headRef, message string) []int {
	set := map[int]bool{}
	// Atoi fails on an overflowing number (and then returns the largest int): a PR
	// number is never 0 nor that large, so both are dropped.
	if m := queueRefPR.FindStringSubmatch(headRef); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			set[n] = true
		}
	}
	for _, m := range messagePR.FindAllStringSubmatch(message, -1) {
		for _, s := range m[1:] {
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				set[n] = true
			}
		}
	}
	out := make([]int, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}
