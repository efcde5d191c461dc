package githubtest

import (
	"net/http"
	"strconv"
	"strings"
)

// maxPRCommits is GitHub's cap on GET pulls/{n}/commits: it lists at most 250 commits.
const maxPRCommits = 250

func (s *Server) prFromPath(w http.ResponseWriter, r *http.Request, repo *Repo) (PR, bool) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return PR{}, false
	}
	s.mu.Lock()
	p, ok := repo.prs[n]
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return PR{}, false
	}
	return p, true
}

func (s *Server) handleGetPull(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.prFromPath(w, r, repo)
	if !ok {
		return
	}
	s.mu.Lock()
	m := prJSONLocked(repo, p)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, m)
}

// handleListPulls supports state (open|closed|all, default open), head (owner:branch) and base.
func (s *Server) handleListPulls(w http.ResponseWriter, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	head := q.Get("head")
	if _, branch, ok := strings.Cut(head, ":"); ok {
		head = branch
	}
	s.mu.Lock()
	nums := sortedKeys(repo.prs)
	var list []any
	for i := len(nums) - 1; i >= 0; i-- { // newest first, as GitHub's default sort (created desc)
		p := repo.prs[nums[i]]
		if state != "all" && p.State != state {
			continue
		}
		if head != "" && p.HeadRef != head {
			continue
		}
		if b := q.Get("base"); b != "" && p.BaseRef != b {
			continue
		}
		list = append(list, prJSONLocked(repo, p))
	}
	s.mu.Unlock()
	paginate(w, r, list)
}

func (s *Server) handlePullCommits(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.prFromPath(w, r, repo)
	if !ok {
		return
	}
	shas := p.Commits
	if len(shas) > maxPRCommits {
		shas = shas[:maxPRCommits]
	}
	s.mu.Lock()
	list := make([]any, 0, len(shas))
	for _, sha := range shas {
		c, ok := repo.commits[sha]
		if !ok {
			c = Commit{SHA: sha, Date: baseTime}
		}
		list = append(list, commitJSONLocked(repo, c))
	}
	s.mu.Unlock()
	paginate(w, r, list)
}

func (s *Server) handlePullFiles(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.prFromPath(w, r, repo)
	if !ok {
		return
	}
	paginate(w, r, prFilesJSON(repo, p))
}

// prFilesJSON is the changed files of p as GitHub lists them (pulls/{n}/files, and the
// files of a compare of the PR's base and head SHAs).
func prFilesJSON(repo *Repo, p PR) []any {
	list := make([]any, 0, len(p.Files))
	for _, f := range p.Files {
		status := p.FileStatus[f]
		old := p.RenamedFrom[f]
		if status == "" && old != "" {
			status = "renamed"
		}
		if status == "" {
			status = "modified"
		}
		m := fileJSON(repo, p.HeadSHA, f, status)
		if old != "" {
			m["previous_filename"] = old
		}
		list = append(list, m)
	}
	return list
}

func fileJSON(repo *Repo, sha, name, status string) map[string]any {
	return map[string]any{
		"sha": blobSHA(name + sha), "filename": name, "status": status,
		"additions": 1, "deletions": 0, "changes": 1,
		"blob_url":     repo.s.URL + "/" + repo.FullName + "/blob/" + sha + "/" + name,
		"raw_url":      repo.s.URL + "/" + repo.FullName + "/raw/" + sha + "/" + name,
		"contents_url": repo.s.APIURL + "repos/" + repo.FullName + "/contents/" + name + "?ref=" + sha,
		"patch":        "@@ -1 +1 @@\n-old\n+new",
	}
}

func (s *Server) handlePullReviews(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p, ok := s.prFromPath(w, r, repo)
	if !ok {
		return
	}
	s.mu.Lock()
	list := make([]any, 0, len(repo.reviews[p.Number]))
	for _, rv := range repo.reviews[p.Number] {
		list = append(list, reviewJSONLocked(repo, p.Number, rv))
	}
	s.mu.Unlock()
	paginate(w, r, list)
}

func (s *Server) handleGetCommit(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.mu.Lock()
	sha := repo.resolveRef(r.PathValue("sha"))
	c, ok := repo.commits[sha]
	var m map[string]any
	if ok {
		m = commitJSONLocked(repo, c)
		files := make([]any, 0, len(c.Files))
		for _, f := range c.Files {
			files = append(files, fileJSON(repo, c.SHA, f, "modified"))
		}
		m["files"] = files
		m["stats"] = map[string]int{"total": len(c.Files), "additions": len(c.Files), "deletions": 0}
	}
	s.mu.Unlock()
	if !ok {
		writeValidation(w, "Commit", "sha", "invalid", "No commit found for SHA: "+r.PathValue("sha"))
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// handleCommitPulls answers the PRs set with SetCommitPulls for the SHA (empty list otherwise).
func (s *Server) handleCommitPulls(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.mu.Lock()
	sha := r.PathValue("sha")
	var list []any
	for _, n := range repo.commitPulls[sha] {
		if p, ok := repo.prs[n]; ok {
			list = append(list, prJSONLocked(repo, p))
		}
	}
	s.mu.Unlock()
	paginate(w, r, list)
}
