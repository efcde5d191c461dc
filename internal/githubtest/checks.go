package githubtest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// handleListCheckRuns answers GET commits/{ref}/check-runs with check_name, status,
// filter (latest, the default: the newest run per name and app; or all) and app_id.
func (s *Server) handleListCheckRuns(w http.ResponseWriter, r *http.Request, repo *Repo) {
	q := r.URL.Query()
	filter := q.Get("filter")
	if filter == "" {
		filter = "latest"
	}
	if filter != "latest" && filter != "all" {
		writeValidation(w, "CheckRun", "filter", "invalid", "filter must be latest or all")
		return
	}
	var appID int64
	if v := q.Get("app_id"); v != "" {
		appID, _ = strconv.ParseInt(v, 10, 64)
	}
	s.mu.Lock()
	sha := repo.resolveRef(r.PathValue("ref"))
	var runs []CheckRun
	latest := map[string]int{} // name+app -> index in runs
	for _, c := range repo.checkRuns {
		if c.HeadSHA != sha {
			continue
		}
		if n := q.Get("check_name"); n != "" && c.Name != n {
			continue
		}
		if st := q.Get("status"); st != "" && c.Status != st {
			continue
		}
		if appID != 0 && c.AppID != appID {
			continue
		}
		if filter == "latest" {
			key := c.Name + "\x00" + strconv.FormatInt(c.AppID, 10)
			if i, ok := latest[key]; ok {
				if c.ID > runs[i].ID {
					runs[i] = c
				}
				continue
			}
			latest[key] = len(runs)
		}
		runs = append(runs, c)
	}
	// Newest first, as GitHub lists them.
	for i, j := 0, len(runs)-1; i < j; i, j = i+1, j-1 {
		runs[i], runs[j] = runs[j], runs[i]
	}
	start, end := pageBounds(w, r, len(runs))
	list := make([]any, 0, end-start)
	for _, c := range runs[start:end] {
		list = append(list, checkRunJSONLocked(repo, c))
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(runs), "check_runs": list})
}

func (s *Server) handleGetCheckRun(w http.ResponseWriter, r *http.Request, repo *Repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range repo.checkRuns {
		if c.ID == id {
			writeJSON(w, http.StatusOK, checkRunJSONLocked(repo, c))
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// checkRunRequest is the body of POST and PATCH check-runs (go-github's Create/UpdateCheckRunOptions).
type checkRunRequest struct {
	Name        *string          `json:"name"`
	HeadSHA     *string          `json:"head_sha"`
	DetailsURL  *string          `json:"details_url"`
	ExternalID  *string          `json:"external_id"`
	Status      *string          `json:"status"`
	Conclusion  *string          `json:"conclusion"`
	StartedAt   *time.Time       `json:"started_at"`
	CompletedAt *time.Time       `json:"completed_at"`
	Output      *checkRunOutput  `json:"output"`
	Actions     []CheckRunAction `json:"actions"`
}

type checkRunOutput struct {
	Title       *string      `json:"title"`
	Summary     *string      `json:"summary"`
	Text        *string      `json:"text"`
	Annotations []Annotation `json:"annotations"`
}

var (
	validCheckStatus     = map[string]bool{"queued": true, "in_progress": true, "completed": true}
	validCheckConclusion = map[string]bool{"action_required": true, "cancelled": true, "failure": true, "neutral": true, "success": true, "skipped": true, "timed_out": true}
)

// validate checks what GitHub checks: lengths, enums, annotations per request.
func (req *checkRunRequest) validate(w http.ResponseWriter) bool {
	if req.Status != nil && !validCheckStatus[*req.Status] {
		writeValidation(w, "CheckRun", "status", "invalid", "status is not included in the list")
		return false
	}
	if req.Conclusion != nil && !validCheckConclusion[*req.Conclusion] {
		writeValidation(w, "CheckRun", "conclusion", "invalid", "conclusion is not included in the list")
		return false
	}
	if req.Status != nil && *req.Status == "completed" && req.Conclusion == nil {
		writeValidation(w, "CheckRun", "conclusion", "missing", "conclusion is required when status is completed")
		return false
	}
	if o := req.Output; o != nil {
		if o.Summary == nil || *o.Summary == "" {
			writeValidation(w, "CheckRun", "output.summary", "missing", "output.summary is required")
			return false
		}
		if o.Title == nil || *o.Title == "" {
			writeValidation(w, "CheckRun", "output.title", "missing", "output.title is required")
			return false
		}
		if len(*o.Summary) > 65535 || (o.Text != nil && len(*o.Text) > 65535) {
			writeValidation(w, "CheckRun", "output", "too_long", "output.summary and output.text are limited to 65535 characters")
			return false
		}
		if len(o.Annotations) > 50 {
			writeValidation(w, "CheckRun", "output.annotations", "too_long", "only 50 annotations are allowed per request")
			return false
		}
	}
	if len(req.Actions) > 3 {
		writeValidation(w, "CheckRun", "actions", "too_long", "only 3 actions are allowed")
		return false
	}
	for _, a := range req.Actions {
		if len(a.Label) > 20 || len(a.Identifier) > 20 || len(a.Description) > 40 {
			writeValidation(w, "CheckRun", "actions", "too_long", "action label/identifier (20) or description (40) too long")
			return false
		}
	}
	return true
}

// apply updates c with the fields the request set.
func (req *checkRunRequest) apply(c *CheckRun, now time.Time) {
	if req.Name != nil {
		c.Name = *req.Name
	}
	if req.DetailsURL != nil {
		c.DetailsURL = *req.DetailsURL
	}
	if req.ExternalID != nil {
		c.ExternalID = *req.ExternalID
	}
	if req.StartedAt != nil {
		c.StartedAt = *req.StartedAt
	}
	if req.Status != nil {
		c.Status = *req.Status
	}
	if req.Conclusion != nil {
		c.Conclusion = *req.Conclusion
		c.Status = "completed" // setting a conclusion completes the run
	}
	if req.CompletedAt != nil {
		c.CompletedAt = *req.CompletedAt
	} else if c.Status == "completed" && c.CompletedAt.IsZero() {
		c.CompletedAt = now
	}
	if c.Status != "completed" {
		c.Conclusion = ""
		c.CompletedAt = time.Time{}
	}
	if o := req.Output; o != nil {
		if o.Title != nil {
			c.Output.Title = *o.Title
		}
		if o.Summary != nil {
			c.Output.Summary = *o.Summary
		}
		if o.Text != nil {
			c.Output.Text = *o.Text
		}
		c.Output.Annotations = append(c.Output.Annotations, o.Annotations...)
	}
	if req.Actions != nil {
		c.Actions = append([]CheckRunAction(nil), req.Actions...)
	}
}

func (req *checkRunRequest) write(method string, c CheckRun, now time.Time) CheckRunWrite {
	wr := CheckRunWrite{Method: method, ID: c.ID, Name: c.Name, HeadSHA: c.HeadSHA, At: now, Actions: req.Actions}
	deref := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	wr.Status, wr.Conclusion = deref(req.Status), deref(req.Conclusion)
	if req.Conclusion != nil && req.Status == nil {
		wr.Status = "completed"
	}
	if o := req.Output; o != nil {
		wr.Title, wr.Summary, wr.Text = deref(o.Title), deref(o.Summary), deref(o.Text)
		wr.Annotations = o.Annotations
	}
	return wr
}

func decodeJSONBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

// handleCreateCheckRun stores a run of the app (POST check-runs) and records the write.
func (s *Server) handleCreateCheckRun(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var req checkRunRequest
	if !decodeJSONBody(w, r, &req) || !req.validate(w) {
		return
	}
	if req.Name == nil || *req.Name == "" {
		writeValidation(w, "CheckRun", "name", "missing_field", "name wasn't supplied")
		return
	}
	if req.HeadSHA == nil || *req.HeadSHA == "" {
		writeValidation(w, "CheckRun", "head_sha", "missing_field", "head_sha wasn't supplied")
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	c := CheckRun{ID: s.nextID, HeadSHA: *req.HeadSHA, AppID: s.AppID, AppSlug: s.AppSlug, Status: "queued", StartedAt: now}
	req.apply(&c, now)
	repo.checkRuns = append(repo.checkRuns, c)
	key := strings.ToLower(repo.FullName)
	s.checkWrites[key] = append(s.checkWrites[key], req.write(http.MethodPost, c, now))
	writeJSON(w, http.StatusCreated, checkRunJSONLocked(repo, c))
}

// handleUpdateCheckRun updates a run of the app (PATCH check-runs/{id}); 404 for unknown ids
// and for runs of other apps (GitHub answers 403 for those).
func (s *Server) handleUpdateCheckRun(w http.ResponseWriter, r *http.Request, repo *Repo) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var req checkRunRequest
	if !decodeJSONBody(w, r, &req) || !req.validate(w) {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range repo.checkRuns {
		c := &repo.checkRuns[i]
		if c.ID != id {
			continue
		}
		if c.AppID != s.AppID {
			writeError(w, http.StatusForbidden, "Invalid app_id `"+strconv.FormatInt(s.AppID, 10)+"` - check run can only be modified by the GitHub App that created it.")
			return
		}
		req.apply(c, now)
		key := strings.ToLower(repo.FullName)
		s.checkWrites[key] = append(s.checkWrites[key], req.write(http.MethodPatch, *c, now))
		writeJSON(w, http.StatusOK, checkRunJSONLocked(repo, *c))
		return
	}
	writeError(w, http.StatusNotFound, "Not Found")
}

// --- commit statuses ---

func (s *Server) handleListStatuses(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.mu.Lock()
	sha := repo.resolveRef(r.PathValue("ref"))
	sts := repo.statuses[sha]
	list := make([]any, 0, len(sts))
	for i := len(sts) - 1; i >= 0; i-- { // newest first
		list = append(list, statusJSON(repo, sha, sts[i]))
	}
	s.mu.Unlock()
	paginate(w, r, list)
}

// handleCombinedStatus answers the latest status per context and the combined state:
// failure if any is error or failure, pending if any is pending or there are none, else success.
func (s *Server) handleCombinedStatus(w http.ResponseWriter, r *http.Request, repo *Repo) {
	s.mu.Lock()
	sha := repo.resolveRef(r.PathValue("ref"))
	sts := repo.statuses[sha]
	latest := map[string]int{}
	var order []string
	for i, st := range sts {
		if _, ok := latest[st.Context]; !ok {
			order = append(order, st.Context)
		}
		latest[st.Context] = i
	}
	state := "success"
	if len(order) == 0 {
		state = "pending"
	}
	list := make([]any, 0, len(order))
	for _, ctx := range order {
		st := sts[latest[ctx]]
		switch st.State {
		case "error", "failure":
			state = "failure"
		case "pending":
			if state != "failure" {
				state = "pending"
			}
		}
		list = append(list, statusJSON(repo, sha, st))
	}
	repoJSON := repoJSONLocked(repo)
	s.mu.Unlock()
	start, end := pageBounds(w, r, len(list))
	writeJSON(w, http.StatusOK, map[string]any{
		"state": state, "sha": sha, "total_count": len(list), "statuses": list[start:end],
		"repository": repoJSON, "commit_url": s.APIURL + "repos/" + repo.FullName + "/commits/" + sha,
	})
}

// handleCreateStatus stores a status created through the API; the creator is the app's bot.
func (s *Server) handleCreateStatus(w http.ResponseWriter, r *http.Request, repo *Repo) {
	var req struct {
		State       string `json:"state"`
		TargetURL   string `json:"target_url"`
		Description string `json:"description"`
		Context     string `json:"context"`
	}
	if !decodeJSONBody(w, r, &req) {
		return
	}
	switch req.State {
	case "error", "failure", "pending", "success":
	default:
		writeValidation(w, "Status", "state", "custom", "state is not included in the list")
		return
	}
	if req.Context == "" {
		req.Context = "default"
	}
	now := time.Now().UTC().Truncate(time.Second)
	s.mu.Lock()
	sha := r.PathValue("sha")
	st := repo.addStatus(sha, Status{Context: req.Context, State: req.State, Description: req.Description,
		TargetURL: req.TargetURL, Creator: s.AppSlug + "[bot]", CreatedAt: now, UpdatedAt: now})
	m := statusJSON(repo, sha, st)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, m)
}
