package githubtest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// AddRepoToken issues a token that sees only repo, like a fine-grained personal access
// token limited to one repository (what foureyes' GitHub checkpoint target uses).
func (s *Server) AddRepoToken(token, fullName string) {
	repo := s.Repo(fullName)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = issuedToken{installation: repo.InstallationID, expires: time.Now().Add(24 * time.Hour),
		repoIDs: map[int64]bool{repo.ID: true}}
}

// ContentCommits counts the commits PUT contents made, by path (for tests).
func (r *Repo) ContentCommits(path string) int {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.s.contentCommits[r.FullName+"/"+path]
}

// handlePutContents answers PUT contents/{path}: create a file, or update it when sha
// names its current blob (409 otherwise, as GitHub answers a stale update), committing
// to branch (default branch when absent).
func (s *Server) handlePutContents(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p := strings.Trim(r.PathValue("path"), "/")
	var req struct {
		Message *string `json:"message"`
		Content *string `json:"content"`
		SHA     string  `json:"sha"`
		Branch  string  `json:"branch"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Message == nil || req.Content == nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"message\" and \"content\" are required.")
		return
	}
	body, err := base64.StdEncoding.DecodeString(*req.Content)
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, "content is not valid Base64")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	branch := req.Branch
	if branch == "" {
		branch = repo.DefaultBranch
	}
	if repo.files[branch] == nil {
		repo.files[branch] = map[string]string{}
	}
	old, exists := repo.files[branch][p]
	switch {
	case exists && req.SHA == "":
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"sha\" wasn't supplied.")
		return
	case exists && req.SHA != blobSHA(old):
		writeError(w, http.StatusConflict, p+" does not match "+req.SHA)
		return
	}
	repo.files[branch][p] = string(body)
	if s.contentCommits == nil {
		s.contentCommits = map[string]int{}
	}
	s.contentCommits[repo.FullName+"/"+p]++
	status := http.StatusOK
	if !exists {
		status = http.StatusCreated
	}
	writeJSON(w, status, map[string]any{
		"content": contentJSON(repo, branch, p, "file", blobSHA(string(body)), len(body)),
		"commit":  map[string]any{"sha": blobSHA(repo.FullName + p + string(body)), "message": *req.Message},
	})
}
