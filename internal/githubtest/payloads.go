package githubtest

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// Webhook payload builders. Each returns a map shaped like GitHub's webhook for the event
// (json.Marshal it, or pass it to Sender.Send). The common envelope is action (when the event
// has one), repository, organization, sender and installation{id, node_id}. Objects inside
// (pull_request, check_run, ...) are rendered like the REST ones. Builders do not change the
// fake's state (except MergeGroupEvent, which adds the group's commits when its head is unknown): the PR, review or run passed in is rendered as given. Outputs are
// deterministic for the same inputs (no clock), so they can serve as golden fixtures.

// envelope is the part every repository event carries.
func envelope(r *Repo, action, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return envelopeLocked(r, action, sender)
}

func envelopeLocked(r *Repo, action, sender string) map[string]any {
	m := map[string]any{
		"repository":   repoJSONLocked(r),
		"organization": orgJSON(r.Owner),
		"sender":       senderJSON(sender),
		"installation": map[string]any{"id": r.InstallationID, "node_id": nodeID("Installation", r.InstallationID)},
	}
	if action != "" {
		m["action"] = action
	}
	return m
}

func orgJSON(login string) map[string]any {
	id := userID(login)
	return map[string]any{"login": login, "id": id, "node_id": nodeID("Organization", id), "description": nil}
}

// senderJSON never renders null: GitHub sends the ghost user when it cannot resolve an actor.
func senderJSON(login string) any {
	if login == "" {
		login = "ghost"
	}
	return userJSON(login)
}

// PullRequestEvent builds a pull_request event. For "synchronize" before is the commit before
// the head in p.Commits (or p.BaseSHA) and after is p.HeadSHA; use PullRequestSynchronizeEvent
// to choose before. For "closed" with p.Merged the PR is merged.
func PullRequestEvent(action string, r *Repo, p PR, sender string) map[string]any {
	before := p.BaseSHA
	if n := len(p.Commits); n >= 2 {
		before = p.Commits[n-2]
	}
	return pullRequestEvent(action, r, p, sender, before)
}

// PullRequestSynchronizeEvent builds pull_request synchronize with an explicit before SHA
// (the sender is the pusher).
func PullRequestSynchronizeEvent(r *Repo, p PR, before, sender string) map[string]any {
	return pullRequestEvent("synchronize", r, p, sender, before)
}

func pullRequestEvent(action string, r *Repo, p PR, sender, before string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p = r.normPR(p)
	if action == "closed" && p.State == "open" {
		p.State = "closed"
	}
	m := envelopeLocked(r, action, sender)
	m["number"] = p.Number
	m["pull_request"] = prJSONLocked(r, p)
	switch action {
	case "synchronize":
		m["before"] = before
		m["after"] = p.HeadSHA
	case "edited":
		m["changes"] = map[string]any{}
	}
	return m
}

// ReviewEvent builds a pull_request_review event (submitted, edited, dismissed). The review
// state is lower case as in webhooks; "dismissed" events carry state "dismissed".
func ReviewEvent(action string, r *Repo, p PR, rv Review, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p = r.normPR(p)
	if rv.State == "" {
		rv.State = "APPROVED"
	}
	if action == "dismissed" {
		rv.State = "DISMISSED"
	}
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = baseTime.Add(time.Minute)
	}
	if rv.CommitID == "" {
		rv.CommitID = p.HeadSHA
	}
	review := reviewJSONLocked(r, p.Number, rv)
	review["state"] = strings.ToLower(rv.State)
	review["_links"] = map[string]any{
		"html":         map[string]string{"href": review["html_url"].(string)},
		"pull_request": map[string]string{"href": review["pull_request_url"].(string)},
	}
	if rv.Body == "" {
		review["body"] = nil
	}
	m := envelopeLocked(r, action, sender)
	m["review"] = review
	m["pull_request"] = prJSONLocked(r, p)
	if action == "edited" {
		m["changes"] = map[string]any{}
	}
	return m
}

// CheckRunEvent builds a check_run event (created, completed, rerequested, requested_action)
// for c on headSHA (c.HeadSHA when headSHA is ""). A run without app is attributed to
// GitHub Actions. check_run.pull_requests lists the open PRs of r whose head is headSHA.
// For requested_action, requested_action.identifier is c.Actions[0].Identifier.
func CheckRunEvent(action string, r *Repo, c CheckRun, headSHA string, sender string) map[string]any {
	if headSHA == "" {
		headSHA = c.HeadSHA
	}
	c.HeadSHA = headSHA
	if c.AppSlug == "" && c.AppID == 0 {
		c.AppSlug, c.AppID = "github-actions", 15368
	}
	if c.ID == 0 {
		c.ID = 4_000_000 + int64(len(c.Name))
	}
	if c.Status == "" {
		c.Status = "queued"
		if c.Conclusion != "" || action == "completed" {
			c.Status = "completed"
		}
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = baseTime
	}
	if c.Status == "completed" && c.CompletedAt.IsZero() {
		c.CompletedAt = c.StartedAt.Add(time.Minute)
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	run := checkRunJSONLocked(r, c)
	run["check_suite"] = checkSuiteJSONLocked(r, c.ID+7_000_000, headSHA, c.Status, c.Conclusion, c.AppID, c.AppSlug)
	m := envelopeLocked(r, action, sender)
	m["check_run"] = run
	if action == "requested_action" {
		id := ""
		if len(c.Actions) > 0 {
			id = c.Actions[0].Identifier
		}
		m["requested_action"] = map[string]any{"identifier": id}
	}
	return m
}

func checkSuiteJSONLocked(r *Repo, id int64, headSHA, status, conclusion string, appID int64, appSlug string) map[string]any {
	var prs []any
	branch := any(nil)
	for _, n := range sortedKeys(r.prs) {
		if p := r.prs[n]; p.HeadSHA == headSHA && p.State == "open" {
			prs = append(prs, prMinimalJSON(r, p))
			branch = p.HeadRef
		}
	}
	if prs == nil {
		prs = []any{}
	}
	return map[string]any{
		"id": id, "node_id": nodeID("CheckSuite", id), "head_branch": branch, "head_sha": headSHA,
		"status": status, "conclusion": strOrNil(conclusion),
		"url":    fmt.Sprintf("%srepos/%s/check-suites/%d", r.s.APIURL, r.FullName, id),
		"before": nil, "after": headSHA, "pull_requests": prs, "app": appJSON(appID, appSlug),
		"created_at": ts(baseTime), "updated_at": ts(baseTime),
	}
}

// CheckSuiteEvent builds a check_suite event (requested, rerequested, completed) for the
// app's suite on headSHA.
func CheckSuiteEvent(action string, r *Repo, headSHA, sender string) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	status, conclusion := "queued", ""
	if action == "completed" {
		status, conclusion = "completed", "success"
	}
	suite := checkSuiteJSONLocked(r, 7_000_001, headSHA, status, conclusion, r.s.AppID, r.s.AppSlug)
	suite["latest_check_runs_count"] = 0
	suite["check_runs_url"] = fmt.Sprintf("%srepos/%s/check-suites/%d/check-runs", r.s.APIURL, r.FullName, 7_000_001)
	suite["head_commit"] = headCommitJSONLocked(r, headSHA)
	m := envelopeLocked(r, action, sender)
	m["check_suite"] = suite
	return m
}

// headCommitJSONLocked is the short commit form of push, check_suite and merge_group.
func headCommitJSONLocked(r *Repo, sha string) map[string]any {
	c, ok := r.commits[sha]
	if !ok {
		c = Commit{SHA: sha, Message: "commit " + short(sha), Date: baseTime}
	}
	person := func(login, email string) map[string]any {
		name := login
		if name == "" {
			name = "Unknown"
		}
		if email == "" {
			email = gitEmail(login)
		}
		m := map[string]any{"name": name, "email": email}
		if login != "" {
			m["username"] = login
		}
		return m
	}
	return map[string]any{
		"id": c.SHA, "tree_id": treeSHA(c.SHA), "distinct": true, "message": c.Message,
		"timestamp": ts(c.Date), "url": fmt.Sprintf("%s/%s/commit/%s", r.s.URL, r.FullName, c.SHA),
		"author": person(c.Author, c.AuthorEmail), "committer": person(c.Committer, c.CommitterEmail),
		"added": []string{}, "removed": []string{}, "modified": nonNil(c.Files),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

// StatusEvent builds a status event for st on sha (sender is st.Creator).
func StatusEvent(r *Repo, sha string, st Status) map[string]any {
	if st.ID == 0 {
		st.ID = 6_000_001
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = baseTime
	}
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = st.CreatedAt
	}
	if st.Creator == "" {
		st.Creator = "ci-bot"
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	c, ok := r.commits[sha]
	if !ok {
		c = Commit{SHA: sha, Date: baseTime}
	}
	m := envelopeLocked(r, "", st.Creator)
	m["id"] = st.ID
	m["sha"] = sha
	m["name"] = r.FullName
	m["target_url"] = strOrNil(st.TargetURL)
	m["context"] = st.Context
	m["description"] = strOrNil(st.Description)
	m["state"] = st.State
	m["commit"] = commitJSONLocked(r, c)
	var branches []any
	for _, b := range sortedKeys(r.branches) {
		if r.branches[b] == sha {
			branches = append(branches, map[string]any{"name": b, "commit": map[string]any{"sha": sha}, "protected": b == r.DefaultBranch})
		}
	}
	if branches == nil {
		branches = []any{}
	}
	m["branches"] = branches
	m["created_at"] = ts(st.CreatedAt)
	m["updated_at"] = ts(st.UpdatedAt)
	return m
}

// PushEvent builds a push event of before..after to ref (a branch name or "refs/heads/x").
// commits lists the stored commits from after back to before along first parents (up to 20).
// The pusher is also the sender.
func PushEvent(r *Repo, ref, before, after, pusher string) map[string]any {
	if !strings.HasPrefix(ref, "refs/") {
		ref = "refs/heads/" + ref
	}
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	m := envelopeLocked(r, "", pusher)
	repo := m["repository"].(map[string]any)
	// Push payloads carry integer timestamps and an owner with name/email.
	repo["created_at"] = baseTime.Add(-365 * 24 * time.Hour).Unix()
	repo["pushed_at"] = baseTime.Unix()
	repo["master_branch"] = r.DefaultBranch
	owner := repo["owner"].(map[string]any)
	owner["name"] = r.Owner
	owner["email"] = nil
	zero := strings.Repeat("0", 40)
	var commits []any
	for sha, n := after, 0; sha != "" && sha != before && sha != zero && n < 20; n++ {
		c, ok := r.commits[sha]
		if !ok {
			if n == 0 {
				commits = append(commits, headCommitJSONLocked(r, sha))
			}
			break
		}
		commits = append([]any{headCommitJSONLocked(r, sha)}, commits...)
		if len(c.Parents) == 0 {
			break
		}
		sha = c.Parents[0]
	}
	if commits == nil {
		commits = []any{}
	}
	m["ref"] = ref
	m["before"] = before
	m["after"] = after
	m["created"] = before == zero
	m["deleted"] = after == zero
	m["forced"] = false
	m["base_ref"] = nil
	m["compare"] = fmt.Sprintf("%s/%s/compare/%s...%s", r.s.URL, r.FullName, short(before), short(after))
	m["commits"] = commits
	if after == zero {
		m["head_commit"] = nil
	} else {
		m["head_commit"] = headCommitJSONLocked(r, after)
	}
	m["pusher"] = map[string]any{"name": pusher, "email": gitEmail(pusher)}
	return m
}

// MergeGroupEvent builds merge_group checks_requested. headRef "" becomes GitHub's
// "refs/heads/gh-readonly-queue/<base>/pr-<n>-<base sha>" for the last PR number; baseRef
// defaults to the default branch. base_sha is the base branch's SHA when known (SetBranch).
func MergeGroupEvent(r *Repo, headSHA, headRef, baseRef string, prNumbers []int) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if baseRef == "" {
		baseRef = r.DefaultBranch
	}
	baseBranch := strings.TrimPrefix(baseRef, "refs/heads/")
	baseSHA := r.branches[baseBranch]
	if baseSHA == "" {
		baseSHA = strings.Repeat("b", 40)
	}
	if headRef == "" {
		n := 0
		if len(prNumbers) > 0 {
			n = prNumbers[len(prNumbers)-1]
		}
		headRef = fmt.Sprintf("gh-readonly-queue/%s/pr-%d-%s", baseBranch, n, baseSHA)
	}
	if !strings.HasPrefix(headRef, "refs/") {
		headRef = "refs/heads/" + headRef
	}
	if _, ok := r.commits[headSHA]; !ok {
		addQueueCommitsLocked(r, baseSHA, headSHA, prNumbers)
	}
	head := headCommitJSONLocked(r, headSHA)
	delete(head, "distinct")
	delete(head, "url")
	delete(head, "added")
	delete(head, "removed")
	delete(head, "modified")
	for _, k := range []string{"author", "committer"} {
		delete(head[k].(map[string]any), "username")
	}
	m := envelopeLocked(r, "checks_requested", "web-flow")
	m["merge_group"] = map[string]any{
		"head_sha": headSHA, "head_ref": headRef, "base_sha": baseSHA,
		"base_ref": "refs/heads/" + baseBranch, "head_commit": head,
	}
	return m
}

// addQueueCommitsLocked builds the commits of a merge group as GitHub's merge queue does
// with the merge method: on the base, one merge commit per queued PR, in order, each with
// the PR's head as second parent and the message "Merge pull request #N from
// owner/branch" then the title; the last one is headSHA. Only the last PR is named by the
// head commit and the queue ref: the others are found through the group's commits. A base
// the fake does not hold is added as a root commit. Call with r.s.mu held.
func addQueueCommitsLocked(r *Repo, baseSHA, headSHA string, prNumbers []int) {
	if _, ok := r.commits[baseSHA]; !ok {
		r.commits[baseSHA] = Commit{SHA: baseSHA, Message: "base", Date: baseTime.Add(-time.Hour)}
	}
	parent := baseSHA
	for i, n := range prNumbers {
		sha := headSHA
		if i < len(prNumbers)-1 {
			sum := sha1.Sum([]byte(fmt.Sprintf("%s/queue/%d", headSHA, n)))
			sha = hex.EncodeToString(sum[:])
		}
		parents := []string{parent}
		title, branch := "", ""
		if p, ok := r.prs[n]; ok {
			title, branch = p.Title, p.HeadRef
			if p.HeadSHA != "" {
				parents = append(parents, p.HeadSHA)
			}
		}
		r.commits[sha] = Commit{SHA: sha, Parents: parents, Author: "", Committer: "web-flow",
			Message: fmt.Sprintf("Merge pull request #%d from %s/%s\n\n%s", n, r.Owner, branch, title),
			Date:    baseTime.Add(time.Duration(i+1) * time.Minute)}
		parent = sha
	}
	if len(prNumbers) == 0 {
		r.commits[headSHA] = Commit{SHA: headSHA, Parents: []string{baseSHA}, Committer: "web-flow", Message: "merge group", Date: baseTime}
	}
}

func installationObject(s *Server, id int64, account string) map[string]any {
	// The selection the installation has on this server (SetRepositorySelection), so that
	// a handler learning it from the payload agrees with what tokens see.
	inst := s.installationJSON(&installation{id: id, account: account, selection: s.selectionOfLocked(id)})
	return inst
}

func repoShortList(s *Server, account string, repos []string) []any {
	list := []any{}
	for _, name := range repos {
		full := name
		if !strings.Contains(name, "/") {
			full = account + "/" + name
		}
		var id int64
		private := true
		if r := s.repos[strings.ToLower(full)]; r != nil {
			id, private, full = r.ID, r.Private, r.FullName
		} else {
			id = userID(full) + 10_000_000
		}
		list = append(list, map[string]any{
			"id": id, "node_id": nodeID("Repository", id), "name": full[strings.Index(full, "/")+1:],
			"full_name": full, "private": private,
		})
	}
	return list
}

// InstallationEvent builds an installation event (created, deleted, suspend, unsuspend,
// new_permissions_accepted) for installationID on account with the given repos
// (names or owner/name), with placeholder URLs; InstallationEventFor takes URLs and
// repository ids from a Server.
func InstallationEvent(action string, installationID int64, account string, repos ...string) map[string]any {
	return InstallationEventFor(nil, action, installationID, account, repos...)
}

// InstallationEventFor is InstallationEvent with URLs and repository ids from s (nil: placeholders).
func InstallationEventFor(s *Server, action string, installationID int64, account string, repos ...string) map[string]any {
	s = orPlaceholder(s)
	s.mu.Lock()
	defer s.mu.Unlock()
	return map[string]any{
		"action":       action,
		"installation": installationObject(s, installationID, account),
		"repositories": repoShortList(s, account, repos),
		"requester":    nil,
		"sender":       userJSON(account + "-admin"),
	}
}

// InstallationReposEvent builds installation_repositories (added or removed) for repos.
func InstallationReposEvent(action string, installationID int64, account string, repos ...string) map[string]any {
	return InstallationReposEventFor(nil, action, installationID, account, repos...)
}

// InstallationReposEventFor is InstallationReposEvent with URLs and repository ids from s.
func InstallationReposEventFor(s *Server, action string, installationID int64, account string, repos ...string) map[string]any {
	s = orPlaceholder(s)
	s.mu.Lock()
	defer s.mu.Unlock()
	added, removed := repoShortList(s, account, repos), []any{}
	if action == "removed" {
		added, removed = removed, added
	}
	return map[string]any{
		"action":               action,
		"installation":         installationObject(s, installationID, account),
		"repository_selection": s.selectionOfLocked(installationID),
		"repositories_added":   added,
		"repositories_removed": removed,
		"requester":            nil,
		"sender":               userJSON(account + "-admin"),
	}
}

// orPlaceholder returns s, or a server value (not started) with placeholder URLs.
func orPlaceholder(s *Server) *Server {
	if s != nil {
		return s
	}
	return &Server{URL: "https://github.example.invalid", APIURL: "https://github.example.invalid/api/v3/",
		AppID: 1001, AppSlug: "foureyes", repos: map[string]*Repo{}}
}
