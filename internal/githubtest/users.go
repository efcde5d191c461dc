package githubtest

import (
	"net/http"
	"strings"
)

// UserProfile is a user's public profile (GET /users/{username}): the display name and
// the public e-mail, each empty when the user has not made it public (GitHub answers null).
type UserProfile struct {
	Login string // canonical case; defaults to the login asked for
	Name  string
	Email string
}

// SetUserProfile sets the public profile GET /users/{login} answers for login.
func (s *Server) SetUserProfile(login string, p UserProfile) {
	if p.Login == "" {
		p.Login = login
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles == nil {
		s.profiles = map[string]UserProfile{}
	}
	s.profiles[strings.ToLower(login)] = p
}

// handleGetUser answers GET /users/{username} like GitHub: the public profile, with name
// and email null when not public. Every syntactically valid login exists in the fake
// (tests name users without registering them); "ghost-404" style unknown users can be
// simulated with Fail.
func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	login := r.PathValue("user")
	s.mu.Lock()
	p, ok := s.profiles[strings.ToLower(login)]
	s.mu.Unlock()
	if !ok {
		p = UserProfile{Login: login}
	}
	u := userJSON(p.Login).(map[string]any)
	nullable := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	u["name"], u["email"] = nullable(p.Name), nullable(p.Email)
	u["company"], u["blog"], u["location"], u["bio"], u["hireable"] = nil, "", nil, nil, nil
	u["url"] = s.APIURL + "users/" + p.Login
	u["public_repos"], u["followers"], u["following"] = 0, 0, 0
	u["created_at"], u["updated_at"] = ts(baseTime), ts(baseTime)
	writeJSON(w, http.StatusOK, u)
}

// SetRepositorySelection makes installation id cover "all" repositories of its account
// (the default) or only "selected" ones: its own (AddRepo). A selected installation's token
// gets 404 for any other repository, as on GitHub for a private one it was not given.
func (s *Server) SetRepositorySelection(id int64, selection string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inst, ok := s.installations[id]; ok {
		inst.selection = selection
	}
}

// selectionOf is the repository selection of installation id; call without s.mu held.
// OmitTokenSelection makes installation token answers lack repository_selection (omit
// true), as a GitHub-compatible server's might: the client must then ask for it.
func (s *Server) OmitTokenSelection(omit bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenSelectionOmitted = omit
}

func (s *Server) selectionOf(id int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.selectionOfLocked(id)
}

func (s *Server) selectionOfLocked(id int64) string {
	if inst, ok := s.installations[id]; ok {
		return selectionName(inst.selection)
	}
	return "all"
}

func selectionName(sel string) string {
	if sel == "" {
		return "all"
	}
	return sel
}

// visibleTo says whether installation inst's token may see repo: always, unless inst is a
// selected installation that was not given repo.
func (s *Server) visibleTo(inst int64, repo *Repo) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return inst == 0 || s.selectionOfLocked(inst) != "selected" || repo.InstallationID == inst
}
