package githubtest

import (
	"encoding/json"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

const deploymentCallbackPattern = "/repos/*/*/actions/runs/*/deployment_protection_rule"

func isDeploymentCallback(method, apiPath string) bool {
	ok, _ := path.Match(deploymentCallbackPattern, apiPath)
	return ok && method == http.MethodPost
}

type deploymentReviewRequest struct {
	EnvironmentName string `json:"environment_name"`
	State           string `json:"state"`
	Comment         string `json:"comment"`
}

// handleDeploymentProtectionRule answers POST actions/runs/{run}/deployment_protection_rule:
// 204 for a valid review (state approved or rejected, or no state for a status report),
// 422 otherwise. Every attempt is recorded by serveAPI (see DeploymentReviews).
func (s *Server) handleDeploymentProtectionRule(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var req deploymentReviewRequest
	if !decodeJSONBody(w, r, &req) {
		return
	}
	if _, err := strconv.ParseInt(r.PathValue("run"), 10, 64); err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	switch {
	case req.EnvironmentName == "":
		writeValidation(w, "DeploymentProtectionRule", "environment_name", "missing_field", "environment_name wasn't supplied")
	case req.State != "" && req.State != "approved" && req.State != "rejected":
		writeValidation(w, "DeploymentProtectionRule", "state", "invalid", "state must be approved or rejected")
	case len(req.Comment) > 1024:
		writeValidation(w, "DeploymentProtectionRule", "comment", "too_long", "comment is too long (maximum is 1024 characters)")
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

// recordDeploymentReview records a POST to a deployment callback with the status answered.
func (s *Server) recordDeploymentReview(r *http.Request, apiPath string, body []byte, status int, inst int64) {
	parts := strings.Split(strings.Trim(apiPath, "/"), "/")
	// repos/{o}/{r}/actions/runs/{run}/deployment_protection_rule
	runID, _ := strconv.ParseInt(parts[5], 10, 64)
	var req deploymentReviewRequest
	_ = json.Unmarshal(body, &req)
	repo := parts[1] + "/" + parts[2]
	if rp := s.Repo(repo); rp != nil {
		repo = rp.FullName
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deploymentReviews = append(s.deploymentReviews, DeploymentReview{
		Repo: repo, RunID: runID, EnvironmentName: req.EnvironmentName, State: req.State,
		Comment: req.Comment, Status: status, Installation: inst, At: time.Now(),
	})
}
