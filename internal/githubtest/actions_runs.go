package githubtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// WorkflowRun is what GET actions/runs/{run_id} answers for a run: the deployment gate
// asks it who triggered a run when a deployment's sender is a bot or ghost.
type WorkflowRun struct {
	ID              int64
	HeadSHA         string
	HeadBranch      string
	Event           string
	Actor           string // the user who created the run ("" renders null)
	TriggeringActor string // the user whose action started this attempt ("" renders null)
}

// workflowRuns holds the runs set on one Server. It lives beside the Server (in
// runsByServer) so this route can be added without changing the server's own state.
type workflowRuns struct {
	mu   sync.Mutex
	once sync.Once
	runs map[string]map[int64]WorkflowRun // lower-case repo full name -> run id -> run
}

var runsByServer sync.Map // *Server -> *workflowRuns

func (s *Server) workflowRuns() *workflowRuns {
	v, _ := runsByServer.LoadOrStore(s, &workflowRuns{runs: map[string]map[int64]WorkflowRun{}})
	wr := v.(*workflowRuns)
	wr.once.Do(func() {
		s.HandleFunc("GET "+apiPrefix+"/repos/{owner}/{repo}/actions/runs/{run}", s.withRepo(wr.handleGet))
	})
	return wr
}

// SetWorkflowRun makes GET repos/{o}/{r}/actions/runs/{run.ID} answer run on r. Runs that
// were never set answer 404.
func (r *Repo) SetWorkflowRun(run WorkflowRun) {
	wr := r.s.workflowRuns()
	wr.mu.Lock()
	defer wr.mu.Unlock()
	key := strings.ToLower(r.FullName)
	if wr.runs[key] == nil {
		wr.runs[key] = map[int64]WorkflowRun{}
	}
	wr.runs[key][run.ID] = run
}

func (wr *workflowRuns) handleGet(w http.ResponseWriter, req *http.Request, repo *Repo) {
	id, err := strconv.ParseInt(req.PathValue("run"), 10, 64)
	wr.mu.Lock()
	run, ok := wr.runs[strings.ToLower(repo.FullName)][id]
	wr.mu.Unlock()
	if err != nil || !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	repo.s.mu.Lock()
	repoJSON := repoJSONLocked(repo)
	repo.s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"id": run.ID, "node_id": nodeID("WorkflowRun", run.ID), "name": "deploy", "head_sha": run.HeadSHA,
		"head_branch": run.HeadBranch, "event": run.Event, "status": "waiting", "conclusion": nil,
		"run_attempt": 1, "pull_requests": []any{},
		"url":      fmt.Sprintf("%srepos/%s/actions/runs/%d", repo.s.APIURL, repo.FullName, run.ID),
		"html_url": fmt.Sprintf("%s/%s/actions/runs/%d", repo.s.URL, repo.FullName, run.ID),
		"actor":    userJSON(run.Actor), "triggering_actor": userJSON(run.TriggeringActor),
		"repository": repoJSON, "created_at": ts(baseTime), "updated_at": ts(baseTime),
	})
}
