package githubtest

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// This file renders the fake's state as GitHub REST objects. Webhook payloads reuse them:
// GitHub's webhook objects have the same shape as the REST ones.

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func tsOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return ts(t)
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// userID derives a stable positive id from a login.
func userID(login string) int64 {
	switch strings.ToLower(login) {
	case "web-flow":
		return 19864447
	case "ghost":
		return 10137
	case "github-actions[bot]":
		return 41898282
	}
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(login)))
	return int64(h.Sum32()%90_000_000) + 1_000_000
}

func nodeID(kind string, id int64) string {
	return base64.RawStdEncoding.EncodeToString([]byte(fmt.Sprintf("0:%s%d", kind, id)))
}

func userType(login string) string {
	if strings.HasSuffix(login, "[bot]") {
		return "Bot"
	}
	return "User"
}

// userJSON is a simple user object; "" renders null.
func userJSON(login string) any {
	if login == "" {
		return nil
	}
	id := userID(login)
	return map[string]any{
		"login": login, "id": id, "node_id": nodeID("User", id), "type": userType(login), "site_admin": false,
		"avatar_url": fmt.Sprintf("https://avatars.example.invalid/u/%d?v=4", id),
		"html_url":   "https://github.example.invalid/" + login,
	}
}

// repoJSONLocked renders a repository; call with r.s.mu held (or when r cannot change).
func repoJSONLocked(r *Repo) map[string]any {
	api := r.s.APIURL + "repos/" + r.FullName
	owner := userJSON(r.Owner).(map[string]any)
	owner["type"] = "Organization"
	owner["node_id"] = nodeID("Organization", userID(r.Owner))
	return map[string]any{
		"id": r.ID, "node_id": nodeID("Repository", r.ID), "name": r.Name, "full_name": r.FullName,
		"private": r.Private, "owner": owner, "html_url": r.s.URL + "/" + r.FullName,
		"description": nil, "fork": false, "url": api, "default_branch": r.DefaultBranch,
		"visibility": map[bool]string{true: "private", false: "internal"}[r.Private],
		"archived":   false, "disabled": false,
		"pulls_url": api + "/pulls{/number}", "statuses_url": api + "/statuses/{sha}",
		"created_at": ts(baseTime.Add(-365 * 24 * time.Hour)), "updated_at": ts(baseTime), "pushed_at": ts(baseTime),
	}
}

// RepoJSON renders the repository as in REST answers and webhook payloads.
func (r *Repo) RepoJSON() map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return repoJSONLocked(r)
}

// prJSONLocked renders a pull request; call with r.s.mu held.
func prJSONLocked(r *Repo, p PR) map[string]any {
	api := fmt.Sprintf("%srepos/%s/pulls/%d", r.s.APIURL, r.FullName, p.Number)
	repo := repoJSONLocked(r)
	id := int64(p.Number)*1000 + r.ID*1_000_000
	m := map[string]any{
		"id": id, "node_id": nodeID("PullRequest", id), "number": p.Number,
		"url": api, "html_url": fmt.Sprintf("%s/%s/pull/%d", r.s.URL, r.FullName, p.Number),
		"state": p.State, "locked": false, "title": p.Title, "body": strOrNil(p.Body),
		"user": userJSON(p.Author), "draft": p.Draft, "merged": p.Merged,
		"created_at": ts(p.CreatedAt), "updated_at": ts(p.UpdatedAt),
		"closed_at": nil, "merged_at": nil, "merge_commit_sha": strOrNil(p.MergeCommitSHA),
		"merged_by": userJSON(p.MergedBy), "mergeable": nil, "mergeable_state": "unknown",
		"author_association": "MEMBER",
		"commits":            len(p.Commits), "changed_files": len(p.Files), "additions": 0, "deletions": 0,
		"comments": 0, "review_comments": 0, "maintainer_can_modify": false,
		"labels": []any{}, "assignees": []any{}, "requested_reviewers": []any{}, "requested_teams": []any{},
		"commits_url": api + "/commits", "review_comments_url": api + "/comments",
		"statuses_url": fmt.Sprintf("%srepos/%s/statuses/%s", r.s.APIURL, r.FullName, p.HeadSHA),
		"base": map[string]any{
			"label": r.Owner + ":" + p.BaseRef, "ref": p.BaseRef, "sha": p.BaseSHA,
			"user": repo["owner"], "repo": repo,
		},
		"head": map[string]any{
			"label": r.Owner + ":" + p.HeadRef, "ref": p.HeadRef, "sha": p.HeadSHA,
			"user": repo["owner"], "repo": repo,
		},
	}
	if p.State == "closed" {
		closed := p.UpdatedAt
		if p.Merged {
			closed = p.MergedAt
			m["merged_at"] = ts(p.MergedAt)
		}
		m["closed_at"] = ts(closed)
	}
	return m
}

// PRJSON renders pull request number as REST and webhooks do (nil if absent).
func (r *Repo) PRJSON(number int) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p, ok := r.prs[number]
	if !ok {
		return nil
	}
	return prJSONLocked(r, p)
}

func gitUser(login, email string, date time.Time) map[string]any {
	name := login
	if name == "" {
		name = "Unknown"
	}
	if email == "" {
		email = gitEmail(login)
	}
	return map[string]any{"name": name, "email": email, "date": ts(date)}
}

func gitEmail(login string) string {
	switch {
	case login == "web-flow":
		return "noreply@github.com"
	case login == "":
		return "unknown@example.invalid"
	}
	return fmt.Sprintf("%d+%s@users.noreply.github.com", userID(login), login)
}

// commitJSONLocked renders a commit as in GET pulls/{n}/commits and GET commits/{sha}.
func commitJSONLocked(r *Repo, c Commit) map[string]any {
	api := fmt.Sprintf("%srepos/%s/commits/%s", r.s.APIURL, r.FullName, c.SHA)
	parents := []any{}
	for _, p := range c.Parents {
		parents = append(parents, map[string]any{
			"sha": p, "url": fmt.Sprintf("%srepos/%s/commits/%s", r.s.APIURL, r.FullName, p),
		})
	}
	committerEmail := c.CommitterEmail
	if committerEmail == "" && c.Committer != "web-flow" && c.Committer == c.Author {
		committerEmail = c.AuthorEmail
	}
	verification := map[string]any{"verified": false, "reason": "unsigned", "signature": nil, "payload": nil}
	if c.Verified {
		verification = map[string]any{"verified": true, "reason": "valid", "signature": "-----BEGIN PGP SIGNATURE-----\n...\n-----END PGP SIGNATURE-----", "payload": "tree ..."}
	}
	return map[string]any{
		"sha": c.SHA, "node_id": nodeID("Commit", userID(c.SHA)), "url": api,
		"html_url": fmt.Sprintf("%s/%s/commit/%s", r.s.URL, r.FullName, c.SHA),
		"commit": map[string]any{
			"author":        gitUser(c.Author, c.AuthorEmail, c.Date),
			"committer":     gitUser(c.Committer, committerEmail, c.Date),
			"message":       c.Message,
			"tree":          map[string]any{"sha": treeSHA(c.SHA)},
			"comment_count": 0,
			"verification":  verification,
		},
		"author": userJSON(c.Author), "committer": userJSON(c.Committer), "parents": parents,
	}
}

func treeSHA(sha string) string {
	h := fnv.New64a()
	h.Write([]byte("tree" + sha))
	return fmt.Sprintf("%016x%016x%08x", h.Sum64(), h.Sum64()^0x5bd1e995, uint32(h.Sum64()))
}

func reviewJSONLocked(r *Repo, number int, rv Review) map[string]any {
	return map[string]any{
		"id": rv.ID, "node_id": nodeID("PullRequestReview", rv.ID), "user": userJSON(rv.User),
		"body": rv.Body, "state": rv.State, "commit_id": rv.CommitID,
		"submitted_at":       tsOrNil(rv.SubmittedAt),
		"author_association": "MEMBER",
		"html_url":           fmt.Sprintf("%s/%s/pull/%d#pullrequestreview-%d", r.s.URL, r.FullName, number, rv.ID),
		"pull_request_url":   fmt.Sprintf("%srepos/%s/pulls/%d", r.s.APIURL, r.FullName, number),
	}
}

func appJSON(id int64, slug string) map[string]any {
	return map[string]any{
		"id": id, "slug": slug, "node_id": nodeID("App", id), "name": slug,
		"owner": userJSON(slug + "-owner"), "created_at": ts(baseTime), "updated_at": ts(baseTime),
	}
}

// checkRunJSONLocked renders a check run; pulls are the PRs whose head is the run's SHA.
func checkRunJSONLocked(r *Repo, c CheckRun) map[string]any {
	annotations := c.Output.Annotations
	out := map[string]any{
		"title": strOrNil(c.Output.Title), "summary": strOrNil(c.Output.Summary), "text": strOrNil(c.Output.Text),
		"annotations_count": len(annotations),
		"annotations_url":   fmt.Sprintf("%srepos/%s/check-runs/%d/annotations", r.s.APIURL, r.FullName, c.ID),
	}
	var prs []any
	for _, n := range sortedKeys(r.prs) {
		p := r.prs[n]
		if p.HeadSHA == c.HeadSHA && p.State == "open" {
			prs = append(prs, prMinimalJSON(r, p))
		}
	}
	if prs == nil {
		prs = []any{}
	}
	m := map[string]any{
		"id": c.ID, "node_id": nodeID("CheckRun", c.ID), "name": c.Name, "head_sha": c.HeadSHA,
		"external_id": c.ExternalID, "details_url": strOrNil(c.DetailsURL),
		"url":      fmt.Sprintf("%srepos/%s/check-runs/%d", r.s.APIURL, r.FullName, c.ID),
		"html_url": fmt.Sprintf("%s/%s/runs/%d", r.s.URL, r.FullName, c.ID),
		"status":   c.Status, "conclusion": strOrNil(c.Conclusion),
		"started_at": tsOrNil(c.StartedAt), "completed_at": tsOrNil(c.CompletedAt),
		"output": out, "app": appJSON(c.AppID, c.AppSlug),
		"check_suite":   map[string]any{"id": c.ID + 7_000_000},
		"pull_requests": prs,
	}
	if len(c.Actions) > 0 {
		m["actions"] = c.Actions
	}
	return m
}

// prMinimalJSON is the short PR form used in check runs and merge-group-free contexts.
func prMinimalJSON(r *Repo, p PR) map[string]any {
	mini := func(ref, sha string) map[string]any {
		return map[string]any{"ref": ref, "sha": sha, "repo": map[string]any{"id": r.ID, "name": r.Name, "url": r.s.APIURL + "repos/" + r.FullName}}
	}
	id := int64(p.Number)*1000 + r.ID*1_000_000
	return map[string]any{
		"id": id, "number": p.Number, "url": fmt.Sprintf("%srepos/%s/pulls/%d", r.s.APIURL, r.FullName, p.Number),
		"head": mini(p.HeadRef, p.HeadSHA), "base": mini(p.BaseRef, p.BaseSHA),
	}
}

func statusJSON(r *Repo, sha string, st Status) map[string]any {
	return map[string]any{
		"id": st.ID, "node_id": nodeID("StatusContext", st.ID), "url": fmt.Sprintf("%srepos/%s/statuses/%s", r.s.APIURL, r.FullName, sha),
		"state": st.State, "description": strOrNil(st.Description), "target_url": strOrNil(st.TargetURL),
		"context": st.Context, "creator": userJSON(st.Creator),
		"created_at": ts(st.CreatedAt), "updated_at": ts(st.UpdatedAt), "avatar_url": nil,
	}
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
