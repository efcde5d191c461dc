package githubtest

import "net/http"

// routes registers the built-in API routes (patterns include the /api/v3 prefix).
func (s *Server) routes() {
	const v3 = apiPrefix
	const repo = v3 + "/repos/{owner}/{repo}"
	hf := s.mux.HandleFunc

	// App (JWT) and installations.
	hf("GET "+v3+"/app", s.handleApp)
	hf("GET "+v3+"/app/installations", s.handleListInstallations)
	hf("GET "+v3+"/app/installations/{id}", s.handleGetInstallation)
	hf("POST "+v3+"/app/installations/{id}/access_tokens", s.handleAccessToken)
	hf("GET "+repo+"/installation", s.handleRepoInstallation)
	hf("GET "+v3+"/orgs/{owner}/installation", s.handleOwnerInstallation)
	hf("GET "+v3+"/users/{owner}/installation", s.handleOwnerInstallation)
	hf("GET "+v3+"/installation/repositories", s.handleInstallationRepos)
	hf("GET "+v3+"/rate_limit", s.handleRateLimit)

	// Repository and pulls.
	hf("GET "+repo, s.withRepo(s.handleGetRepo))
	hf("GET "+repo+"/pulls", s.withRepo(s.handleListPulls))
	hf("GET "+repo+"/pulls/{number}", s.withRepo(s.handleGetPull))
	hf("GET "+repo+"/pulls/{number}/commits", s.withRepo(s.handlePullCommits))
	hf("GET "+repo+"/pulls/{number}/files", s.withRepo(s.handlePullFiles))
	hf("GET "+repo+"/pulls/{number}/reviews", s.withRepo(s.handlePullReviews))
	hf("GET "+repo+"/commits/{sha}", s.withRepo(s.handleGetCommit))
	hf("GET "+repo+"/commits/{sha}/pulls", s.withRepo(s.handleCommitPulls))
	hf("GET "+repo+"/compare/{basehead}", s.withRepo(s.handleCompare))

	// Checks and statuses.
	hf("GET "+repo+"/commits/{ref}/check-runs", s.withRepo(s.handleListCheckRuns))
	hf("GET "+repo+"/check-runs/{id}", s.withRepo(s.handleGetCheckRun))
	hf("POST "+repo+"/check-runs", s.withRepo(s.handleCreateCheckRun))
	hf("PATCH "+repo+"/check-runs/{id}", s.withRepo(s.handleUpdateCheckRun))
	hf("GET "+repo+"/commits/{ref}/status", s.withRepo(s.handleCombinedStatus))
	hf("GET "+repo+"/commits/{ref}/statuses", s.withRepo(s.handleListStatuses))
	hf("POST "+repo+"/statuses/{sha}", s.withRepo(s.handleCreateStatus))

	// Contents, people.
	hf("GET "+repo+"/contents/{path...}", s.withRepo(s.handleContents))
	hf("PUT "+repo+"/contents/{path...}", s.withRepo(s.handlePutContents))
	hf("GET "+repo+"/collaborators/{user}/permission", s.withRepo(s.handlePermission))
	hf("GET "+v3+"/orgs/{org}/teams/{slug}/memberships/{user}", s.handleTeamMembership)
	hf("GET "+v3+"/orgs/{org}/teams/{slug}/members", s.handleTeamMembers)
	hf("GET "+v3+"/users/{user}", s.handleGetUser)

	// Rules and branch protection (control health).
	hf("GET "+repo+"/rules/branches/{branch...}", s.withRepo(s.handleBranchRules))
	hf("GET "+repo+"/branches/{branch}/protection", s.withRepo(s.handleBranchProtection))

	// Deployments.
	hf("POST "+repo+"/actions/runs/{run}/deployment_protection_rule", s.withRepo(s.handleDeploymentProtectionRule))

	// Conversation comments (emergency declarations and foureyes' replies).
	s.commentRoutes()
}

// withRepo resolves {owner}/{repo} (404 when unknown) for a handler.
func (s *Server) withRepo(h func(http.ResponseWriter, *http.Request, *Repo)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo := s.Repo(r.PathValue("owner") + "/" + r.PathValue("repo"))
		if repo == nil || !s.visibleTo(InstallationFromRequest(r), repo) {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		h(w, r, repo)
	}
}

func (s *Server) handleGetRepo(w http.ResponseWriter, r *http.Request, repo *Repo) {
	writeJSON(w, http.StatusOK, repo.RepoJSON())
}

func (s *Server) handleRateLimit(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	inst := s.peekInstallationLocked(r)
	used, limit, reset := s.used[inst], s.rateLimit, s.resetAt.Unix()
	s.mu.Unlock()
	rate := map[string]any{"limit": limit, "used": used, "remaining": max(limit-used, 1), "reset": reset}
	writeJSON(w, http.StatusOK, map[string]any{"resources": map[string]any{"core": rate}, "rate": rate})
}
