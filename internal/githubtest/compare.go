package githubtest

import (
	"net/http"
	"sort"
	"strings"
)

// maxCompareCommits is how many commits GitHub's compare answer lists without pagination.
const maxCompareCommits = 250

// handleCompare answers GET /repos/{o}/{r}/compare/{base}...{head} like GitHub: the
// commits reachable from head and not from base (oldest first, at most 250), with
// total_commits counting them all, ahead_by/behind_by and status. Commits the fake does
// not know end the walk (as roots). An unknown base or head is 404.
func (s *Server) handleCompare(w http.ResponseWriter, r *http.Request, repo *Repo) {
	base, head, ok := strings.Cut(r.PathValue("basehead"), "...")
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	baseSHA, headSHA := repo.resolveRef(base), repo.resolveRef(head)
	_, baseKnown := repo.commits[baseSHA]
	_, headKnown := repo.commits[headSHA]
	if !headKnown || (!baseKnown && !knownBranchTip(repo, baseSHA)) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	fromBase := reachable(repo, baseSHA, nil)
	ahead := reachable(repo, headSHA, fromBase)
	behind := 0
	fromHead := reachable(repo, headSHA, nil)
	for sha := range fromBase {
		if !fromHead[sha] && repo.commits[sha].SHA != "" {
			behind++
		}
	}
	list := make([]Commit, 0, len(ahead))
	for sha := range ahead {
		if c, ok := repo.commits[sha]; ok {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].Date.Equal(list[j].Date) {
			return list[i].Date.Before(list[j].Date)
		}
		return list[i].SHA < list[j].SHA
	})
	total := len(list)
	if len(list) > maxCompareCommits {
		list = list[:maxCompareCommits]
	}
	commits := make([]any, 0, len(list))
	for _, c := range list {
		commits = append(commits, commitJSONLocked(repo, c))
	}
	status := "identical"
	switch {
	case total > 0 && behind > 0:
		status = "diverged"
	case total > 0:
		status = "ahead"
	case behind > 0:
		status = "behind"
	}
	api := s.APIURL + "repos/" + repo.FullName
	var baseCommit any
	if c, ok := repo.commits[baseSHA]; ok {
		baseCommit = commitJSONLocked(repo, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":               api + "/compare/" + base + "..." + head,
		"html_url":          s.URL + "/" + repo.FullName + "/compare/" + base + "..." + head,
		"permalink_url":     s.URL + "/" + repo.FullName + "/compare/" + baseSHA + "..." + headSHA,
		"diff_url":          s.URL + "/" + repo.FullName + "/compare/" + base + "..." + head + ".diff",
		"patch_url":         s.URL + "/" + repo.FullName + "/compare/" + base + "..." + head + ".patch",
		"base_commit":       baseCommit,
		"merge_base_commit": baseCommit,
		"status":            status,
		"ahead_by":          total,
		"behind_by":         behind,
		"total_commits":     total,
		"commits":           commits,
		"files":             []any{},
	})
}

// knownBranchTip says whether sha is the tip of one of repo's branches (a base that the
// fake names without holding the commit).
func knownBranchTip(repo *Repo, sha string) bool {
	for _, tip := range repo.branches {
		if tip == sha {
			return true
		}
	}
	return false
}

// reachable is every SHA reachable from sha through parents, stopping at stop's SHAs;
// call with s.mu held.
func reachable(repo *Repo, sha string, stop map[string]bool) map[string]bool {
	seen := map[string]bool{}
	queue := []string{sha}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == "" || seen[cur] || stop[cur] {
			continue
		}
		seen[cur] = true
		if c, ok := repo.commits[cur]; ok {
			queue = append(queue, c.Parents...)
		}
	}
	return seen
}
