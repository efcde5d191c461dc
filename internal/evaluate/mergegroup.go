package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// MergeGroupRef is a merge queue group as the merge_group event names it.
type MergeGroupRef struct {
	HeadSHA, HeadRef, BaseSHA string
	HeadMessage               string
}

// MergeGroup posts foureyes on a merge queue group's head SHA. The group's pull requests
// are all those named by the queue ref, the head commit, or any commit of the group
// (base...head: with several queued PRs the head names only the last one); each is
// evaluated now on its own head under its base branch's policy (a queued PR may have lost
// an approval since it was queued), and policy.MergeGroup decides: success only when
// every one passes and every commit of the group belongs to one of them.
func (e *Evaluator) MergeGroup(ctx context.Context, installationID int64, owner, repo string, g MergeGroupRef, deliveryID string) error {
	groupLock, err := e.Store.Lock(ctx, mergeGroupLockName(owner+"/"+repo, g.HeadSHA))
	if err != nil {
		return fmt.Errorf("lock merge group %s/%s@%s: %w", owner, repo, g.HeadSHA, err)
	}
	defer groupLock.Release()
	ctx, counter := ghclient.WithCounter(ctx)
	client, err := e.Clients.NewInstallationClient(installationID)
	if err != nil {
		return fmt.Errorf("installation client %d: %w", installationID, err)
	}
	gf := policy.MergeGroupFacts{HeadSHA: g.HeadSHA, PRs: []policy.GroupPR{}, Unattributed: []string{}}
	named := map[int]bool{}    // every PR named anywhere
	explicit := map[int]bool{} // named by the queue ref or the head commit
	for _, n := range MergeGroupPRs(g.HeadRef, g.HeadMessage) {
		named[n], explicit[n] = true, true
	}
	commits, incomplete, err := groupCommits(ctx, client, owner, repo, g)
	if err != nil {
		return err
	}
	gf.Incomplete = incomplete
	namedBy := map[string][]int{} // commit SHA -> the PRs its message names
	for _, c := range commits {
		for _, n := range MergeGroupPRs("", c.GetCommit().GetMessage()) {
			named[n] = true
			namedBy[c.GetSHA()] = append(namedBy[c.GetSHA()], n)
		}
	}
	prs := make([]int, 0, len(named))
	for n := range named {
		prs = append(prs, n)
	}
	sort.Ints(prs)
	judged := map[string]bool{} // commits of the group's PRs
	evaluated := map[int]bool{}
	for _, n := range prs {
		t := Target{InstallationID: installationID, Owner: owner, Repo: repo, Number: n, DeliveryIDs: []string{deliveryID}}
		pr, _, err := client.PullRequests.Get(ctx, owner, repo, n)
		if err != nil {
			return fmt.Errorf("get pull request %s/%s#%d of merge group %s: %w", owner, repo, n, g.HeadSHA, err)
		}
		if !explicit[n] && pr.GetState() != "open" {
			// A commit message names a closed PR ("Fix (#12)" cherry-picked from an old
			// squash): it is not queued. Its commit must be accounted for otherwise.
			continue
		}
		evaluated[n] = true
		d, err := e.decide(ctx, client, t, pr)
		if err != nil {
			return err
		}
		if _, err := e.record(ctx, t, pr, d); err != nil {
			return err
		}
		judged[pr.GetHead().GetSHA()] = true
		if d.Facts != nil {
			for _, c := range d.Facts.Commits {
				judged[c.SHA] = true
			}
		}
		gf.PRs = append(gf.PRs, policy.GroupPR{Number: n, Title: pr.GetTitle(), HeadSHA: pr.GetHead().GetSHA(), Decision: d.Decision})
	}
	for _, c := range commits {
		ok := judged[c.GetSHA()]
		for _, n := range namedBy[c.GetSHA()] {
			ok = ok || evaluated[n]
		}
		if !ok {
			gf.Unattributed = append(gf.Unattributed, c.GetSHA())
		}
	}
	group := policy.MergeGroup(gf)
	out := report.CheckRun(group)
	if group.Outcome == policy.OutcomePass {
		out.Conclusion = "success"
	} else {
		out.Conclusion = "failure"
	}
	Log(ctx).Info().Str("merge_group_sha", g.HeadSHA).Ints("prs", prs).Int("unattributed", len(gf.Unattributed)).
		Str("outcome", string(group.Outcome)).Int64("github_requests", counter.Requests()).Msg("merge group evaluated")
	if err := e.recordMergeGroup(ctx, installationID, owner+"/"+repo, deliveryID, gf, group); err != nil {
		return err
	}
	return e.publish(ctx, client, owner, repo, g.HeadSHA, out, nil)
}

// recordMergeGroup appends the group's decision and the facts it was made from before the
// check run shows it (held under the group's lock): `evidence verify` re-performs it with
// policy.MergeGroup. The same decision again after the group's last record states no new
// fact; a different one, or the same after a different one, is recorded.
func (e *Evaluator) recordMergeGroup(ctx context.Context, inst int64, full, deliveryID string, gf policy.MergeGroupFacts, d policy.Decision) error {
	subject := "merge_group:" + gf.HeadSHA
	var prev int64
	last, err := e.Store.Latest(ctx, store.Filter{Repo: full, Subject: subject, Kinds: []store.Kind{store.KindMergeGroup}})
	switch {
	case err == nil:
		prev = last.Seq
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("last decision of merge group %s@%s: %w", full, gf.HeadSHA, err)
	}
	facts, err := json.Marshal(gf)
	if err != nil {
		return fmt.Errorf("encode merge group facts: %w", err)
	}
	rec := store.Record{Kind: store.KindMergeGroup, DeliveryID: deliveryID, Installation: inst, Repository: full,
		SHA: gf.HeadSHA, Subject: subject, Outcome: string(d.Outcome), Facts: facts, Decision: d.JSON()}
	rec.FactKey = fmt.Sprintf("%s:%s@%s:%s:after:%d", store.KindMergeGroup, full, gf.HeadSHA, store.DecisionContent(rec), prev)
	if _, err := e.Store.Append(ctx, rec); err != nil {
		return fmt.Errorf("append merge group decision to the audit log: %w", err)
	}
	return nil
}

// groupCommits lists the commits of the group, base...head. incomplete says why they could
// not all be listed (no base SHA, GitHub cannot compare, over GitHub's 250): the group then
// fails. A transient GitHub error is returned, to retry.
func groupCommits(ctx context.Context, client *github.Client, owner, repo string, g MergeGroupRef) ([]*github.RepositoryCommit, string, error) {
	if g.BaseSHA == "" || g.HeadSHA == "" {
		return nil, "the event names no base or head SHA", nil
	}
	cmp, resp, err := client.Repositories.CompareCommits(ctx, owner, repo, g.BaseSHA, g.HeadSHA, nil)
	if err != nil {
		if resp != nil && (resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusUnprocessableEntity) {
			return nil, fmt.Sprintf("GitHub cannot compare %.7s...%.7s (%d)", g.BaseSHA, g.HeadSHA, resp.StatusCode), nil
		}
		return nil, "", fmt.Errorf("compare merge group %s/%s %s...%s: %w", owner, repo, g.BaseSHA, g.HeadSHA, err)
	}
	if cmp.GetTotalCommits() > len(cmp.Commits) {
		return cmp.Commits, fmt.Sprintf("%d commits, GitHub listed %d", cmp.GetTotalCommits(), len(cmp.Commits)), nil
	}
	return cmp.Commits, "", nil
}

var (
	queueRefPR = regexp.MustCompile(`/pr-([0-9]+)-[0-9a-f]+$`)
	messagePR  = regexp.MustCompile(`(?m)^Merge pull request #([0-9]+)|\(#([0-9]+)\)\r?$`)
)

// MergeGroupPRs reads the PR numbers a merge group's ref and a commit message name: the
// queue's ref names the last PR ("gh-readonly-queue/main/pr-42-<sha>"), a merge commit
// "Merge pull request #N", a squash commit "Title (#N)". Sorted, without repeats.
func MergeGroupPRs(headRef, message string) []int {
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
