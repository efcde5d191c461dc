package policy

import (
	"slices"
	"strings"
)

// Review states that count. COMMENTED and PENDING reviews neither approve nor block,
// so they never replace a reviewer's earlier verdict.
const (
	reviewApproved         = "APPROVED"
	reviewChangesRequested = "CHANGES_REQUESTED"
	reviewDismissed        = "DISMISSED"
)

// webFlow is the committer GitHub records for commits made in its web UI and for
// squash merges: it says nothing about who wrote the change, so it is ignored.
const webFlow = "web-flow"

// reviewer is one reviewer's latest verdict.
type reviewer struct {
	login  string
	review *Review
	// Where the reviewer took part in the change, found once and shared by all rules:
	// the first commit they authored, committed, co-authored, and their first push
	// (-1 for none).
	involved                                bool
	authored, committed, coAuthored, pushed int
	// maybeCoAuthor is the first unresolved co-author trailer this reviewer could be
	// (index into Facts.UnresolvedCoAuthors, -1 for none).
	maybeCoAuthor int
}

// involve fills in where rv took part in the change.
func (e *evaluator) involve(rv *reviewer) {
	if rv.involved {
		return
	}
	rv.involved = true
	rv.authored, rv.committed, rv.coAuthored, rv.pushed, rv.maybeCoAuthor = -1, -1, -1, -1, -1
	login := rv.login
	for i := range e.f.Commits {
		c := &e.f.Commits[i]
		if rv.authored < 0 && sameLogin(c.Author, login) {
			rv.authored = i
		}
		if rv.committed < 0 && sameLogin(c.Committer, login) && !sameLogin(login, webFlow) {
			rv.committed = i
		}
		if rv.coAuthored < 0 && containsLogin(c.CoAuthors, login) {
			rv.coAuthored = i
		}
	}
	for i := range e.f.Pushes {
		if sameLogin(e.f.Pushes[i].Pusher, login) {
			rv.pushed = i
			break
		}
	}
	usr, _ := e.user(login)
	for i := range e.f.UnresolvedCoAuthors {
		if couldBe(&e.f.UnresolvedCoAuthors[i], login, usr) {
			rv.maybeCoAuthor = i
			break
		}
	}
}

// latestReviews returns, per reviewer and sorted by login, the latest review that is
// APPROVED, CHANGES_REQUESTED or DISMISSED (latest: greatest submitted_at, then id).
func (e *evaluator) latestReviews() []reviewer {
	if e.reviewed {
		return e.reviewers
	}
	e.reviewed = true
	rs := e.f.Reviews
	idx := make([]int, 0, len(rs))
	for i := range rs {
		switch rs[i].State {
		case reviewApproved, reviewChangesRequested, reviewDismissed:
			idx = append(idx, i)
		}
	}
	slices.SortFunc(idx, func(a, b int) int {
		x, y := &rs[a], &rs[b]
		if c := strings.Compare(strings.ToLower(x.User), strings.ToLower(y.User)); c != 0 {
			return c
		}
		if c := compareTime(x.SubmittedAt, y.SubmittedAt); c != 0 {
			return c
		}
		switch {
		case x.ID < y.ID:
			return -1
		case x.ID > y.ID:
			return 1
		}
		return 0
	})
	out := make([]reviewer, 0, len(idx))
	for k, i := range idx {
		if k+1 < len(idx) && sameLogin(rs[idx[k+1]].User, rs[i].User) {
			continue // a later review of the same user follows
		}
		out = append(out, reviewer{login: rs[i].User, review: &rs[i]})
	}
	e.reviewers = out
	return out
}

func isBot(login string) bool { return strings.HasSuffix(login, "[bot]") }

// ineligible returns why login may not approve under a, or "" when they may.
func (e *evaluator) ineligible(login string, a *Approvals) string {
	listed := containsLogin(a.Users, login)
	if isBot(login) {
		if listed {
			return ""
		}
		return login + " is a bot not listed in from.users"
	}
	u, known := e.user(login)
	if !listed && (len(a.Users) > 0 || len(a.Teams) > 0) {
		inTeam := false
		for _, t := range a.Teams {
			if slices.Contains(u.Teams, t) {
				inTeam = true
				break
			}
		}
		if !inTeam {
			switch {
			case len(a.Users) == 0:
				return login + " is not in " + orList(a.Teams)
			case len(a.Teams) == 0:
				return login + " is not listed in from.users"
			}
			return login + " is not in " + orList(a.Teams) + " nor listed in from.users"
		}
	}
	if a.Permission != "" {
		if !known || u.Permission == "" {
			return login + "'s permission is unknown, " + a.Permission + " required"
		}
		if permissionRank[u.Permission] < permissionRank[a.Permission] {
			return login + " has " + u.Permission + " permission, " + a.Permission + " required"
		}
	}
	return ""
}

// memberText names the teams and users an approver must belong to.
func (a *Approvals) memberText() string {
	items := make([]string, 0, len(a.Teams)+len(a.Users))
	items = append(items, a.Teams...)
	items = append(items, a.Users...)
	return orList(items)
}

// fromText names who can approve, for "needs 1 approval from ...".
func (a *Approvals) fromText() string {
	if len(a.Users) == 0 && len(a.Teams) == 0 {
		return "someone with " + a.Permission + " permission"
	}
	return a.memberText()
}

// dependent returns why the reviewer is not independent of the change, or "" when they
// are. The PR author is always excluded; the rest follows independent_of. Of several
// reasons, the one on the earliest commit is given (authored, then committed, then
// co-authored on the same commit), then pushes.
func (e *evaluator) dependent(rv *reviewer, a *Approvals) string {
	f := e.f
	login := rv.login
	if sameLogin(login, f.PullRequest.Author) {
		return login + " is the author of the pull request"
	}
	e.involve(rv)
	best, verb := -1, ""
	consider := func(enabled bool, idx int, v string) {
		if enabled && idx >= 0 && (best < 0 || idx < best) {
			best, verb = idx, v
		}
	}
	consider(a.notCommitters, rv.authored, " authored ")
	consider(a.notCommitters, rv.committed, " committed ")
	consider(a.notCoAuthors, rv.coAuthored, " co-authored ")
	if best >= 0 {
		return login + verb + short(f.Commits[best].SHA)
	}
	if a.notCoAuthors && rv.maybeCoAuthor >= 0 {
		return login + " could be the co-author of " + trailerText(&f.UnresolvedCoAuthors[rv.maybeCoAuthor]) +
			", which matches no GitHub account"
	}
	if a.notPushers && rv.pushed >= 0 {
		p := &f.Pushes[rv.pushed]
		return login + " pushed " + short(p.After) + " at " + clock(p.At)
	}
	return ""
}

func (e *evaluator) approvals(a *Approvals) RequirementResult {
	f := e.f
	head := f.PullRequest.Head.SHA
	revs := e.latestReviews()
	q := RequirementResult{Kind: KindApprovals, Evidence: make([]Evidence, 0, len(revs)+len(f.UnresolvedCoAuthors))}
	var counted, blockers []string
	for k := range revs {
		rv := &revs[k]
		r := rv.review
		login := rv.login
		switch r.State {
		case reviewApproved:
			why := e.ineligible(login, a)
			if why == "" {
				why = e.dependent(rv, a)
			}
			if why == "" && a.OnHead && r.CommitID != head {
				why = login + " approved " + short(r.CommitID) + ", head is " + short(head)
			}
			if why != "" {
				q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceNotCounted, Subject: login, SHA: r.CommitID, Text: why})
				continue
			}
			counted = append(counted, login)
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceApproval, Subject: login, SHA: r.CommitID,
				Text: login + " approved " + short(r.CommitID)})
		case reviewChangesRequested:
			text := login + " requested changes on " + short(r.CommitID)
			if !a.BlockOnChangesRequested {
				text += " (does not block: block_on_changes_requested is off)"
			} else if why := e.ineligible(login, a); why != "" {
				text += " (does not block: " + why + ")"
			} else {
				blockers = append(blockers, login)
			}
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceChangesRequested, Subject: login, SHA: r.CommitID, Text: text})
		case reviewDismissed:
			q.Evidence = append(q.Evidence, Evidence{Kind: EvidenceNotCounted, Subject: login, SHA: r.CommitID,
				Text: login + "'s review of " + short(r.CommitID) + " was dismissed"})
		}
	}
	q.Evidence = append(q.Evidence, e.unresolvedEvidence()...)
	switch {
	case f.Truncated != nil && f.Truncated.Commits:
		q.Status, q.Reason = StatusFail, "too many commits to verify"
	case len(blockers) > 0:
		q.Status, q.Reason = StatusFail, "changes requested by "+joinList(blockers)
	case len(counted) >= a.Count:
		q.Status, q.Reason = StatusPass, "approved by "+joinList(counted)
	default:
		missing := a.Count - len(counted)
		noun := " approval"
		if missing > 1 {
			noun = " approvals"
		}
		more := ""
		if len(counted) > 0 {
			more = " more"
		}
		q.Status, q.Reason = StatusPending, "needs "+itoa(missing)+more+noun+" from "+a.fromText()
	}
	return q
}
