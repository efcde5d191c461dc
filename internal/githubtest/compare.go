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
// total_commits counting them all, ahead_by/behind_by, status, and the changed files (at
// most 300; see compareFilesLocked). With per_page or page in the query the commits are
// paginated (Link header) and the files are on the first page only, as GitHub does.
// Commits the fake does not know end the walk (as roots). An unknown head, or a base
// that is neither a known commit nor a branch tip nor a PR's base SHA, is 404.
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
	if !headKnown || (!baseKnown && !knownBase(repo, baseSHA)) {
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
	files := compareFilesLocked(repo, baseSHA, headSHA, list)
	q := r.URL.Query()
	if q.Has("per_page") || q.Has("page") {
		start, end := pageBounds(w, r, len(list))
		if start > 0 {
			files = nil
		}
		list = list[start:end]
	} else if len(list) > maxCompareCommits {
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
	answer := map[string]any{
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
	}
	if files != nil {
		answer["files"] = files
	}
	writeJSON(w, http.StatusOK, answer)
}

// maxCompareFiles is how many files GitHub's compare answer lists; it cuts the rest
// without saying so.
const maxCompareFiles = 300

// compareFilesLocked is the changed files of base...head, never nil: those of the PR
// whose head and base SHAs these are (computed as pulls/{n}/files computes them, the
// lowest number when several PRs match), else every file the commits list
// (Commit.Files) with status "modified". At most 300. Call with s.mu held.
func compareFilesLocked(repo *Repo, baseSHA, headSHA string, commits []Commit) []any {
	for _, n := range sortedKeys(repo.prs) {
		if p := repo.prs[n]; p.HeadSHA == headSHA && p.BaseSHA == baseSHA {
			return firstFiles(prFilesJSON(repo, p))
		}
	}
	seen := map[string]bool{}
	var names []string
	for _, c := range commits {
		for _, f := range c.Files {
			if !seen[f] {
				seen[f] = true
				names = append(names, f)
			}
		}
	}
	sort.Strings(names)
	list := make([]any, 0, len(names))
	for _, f := range names {
		list = append(list, fileJSON(repo, headSHA, f, "modified"))
	}
	return firstFiles(list)
}

func firstFiles(list []any) []any {
	if len(list) > maxCompareFiles {
		return list[:maxCompareFiles]
	}
	return list
}

// knownBase says whether sha is the tip of one of repo's branches or the base SHA of one
// of its PRs: a base that the fake names without holding the commit. Call with s.mu held.
func knownBase(repo *Repo, sha string) bool {
	for _, tip := range repo.branches {
		if tip == sha {
			return true
		}
	}
	for _, p := range repo.prs {
		if p.BaseSHA == sha {
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
