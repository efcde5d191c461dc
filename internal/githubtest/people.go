package githubtest

import (
	"net/http"
	"strings"
)

// handlePermission answers GET collaborators/{user}/permission. permission is GitHub's
// legacy level (admin, write, read, none); role_name keeps maintain and triage.
func (s *Server) handlePermission(w http.ResponseWriter, r *http.Request, repo *Repo) {
	user := r.PathValue("user")
	s.mu.Lock()
	role, ok := repo.permissions[strings.ToLower(user)]
	s.mu.Unlock()
	if !ok || role == "" {
		role = "none"
	}
	perm := role
	switch role {
	case "maintain":
		perm = "write"
	case "triage":
		perm = "read"
	}
	u := userJSON(user).(map[string]any)
	u["permissions"] = map[string]bool{
		"admin": perm == "admin", "maintain": role == "maintain" || perm == "admin",
		"push": perm == "write" || perm == "admin", "triage": perm != "none", "pull": perm != "none",
	}
	u["role_name"] = role
	writeJSON(w, http.StatusOK, map[string]any{"permission": perm, "role_name": role, "user": u})
}

// handleTeamMembership answers GET /orgs/{org}/teams/{slug}/memberships/{user}:
// {state: active, role: member} for members, 404 otherwise (also for unknown teams).
func (s *Server) handleTeamMembership(w http.ResponseWriter, r *http.Request) {
	org, slug, user := r.PathValue("org"), r.PathValue("slug"), r.PathValue("user")
	s.mu.Lock()
	members, ok := s.teams[strings.ToLower(org+"/"+slug)]
	member := ok && members[strings.ToLower(user)]
	s.mu.Unlock()
	if !member {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"url":   s.APIURL + "orgs/" + org + "/teams/" + slug + "/memberships/" + user,
		"role":  "member",
		"state": "active",
	})
}

// handleTeamMembers lists the members of a team (404 for unknown teams).
func (s *Server) handleTeamMembers(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	members, ok := s.teams[strings.ToLower(r.PathValue("org")+"/"+r.PathValue("slug"))]
	var list []any
	for _, login := range sortedKeys(members) {
		list = append(list, userJSON(login))
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	paginate(w, r, list)
}
