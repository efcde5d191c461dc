package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// IssueComment is a comment in a pull request's conversation (GitHub files those under
// issues: POST /repos/{owner}/{repo}/issues/{number}/comments).
type IssueComment struct {
	ID        int64
	Number    int
	User      string
	Body      string
	CreatedAt time.Time
}

// issueComments is the fake's comment state, kept beside the Server (like the hook
// deliveries) so the core state needs no field for it.
type issueComments struct {
	mu     sync.Mutex
	nextID int64
	byRepo map[string][]IssueComment
}

var commentLogs sync.Map // *Server -> *issueComments

func (s *Server) comments() *issueComments {
	c, _ := commentLogs.LoadOrStore(s, &issueComments{nextID: 7_000_000_001, byRepo: map[string][]IssueComment{}})
	return c.(*issueComments)
}

// commentRoutes serves the conversation comments of pull requests.
func (s *Server) commentRoutes() {
	repo := apiPrefix + "/repos/{owner}/{repo}"
	s.mux.HandleFunc("GET "+repo+"/issues/{number}/comments", s.withRepo(s.handleListComments))
	s.mux.HandleFunc("POST "+repo+"/issues/{number}/comments", s.withRepo(s.handleCreateComment))
}

// AddComment stores a comment by user on PR number, as if typed in the UI, and returns
// it with its id. Send IssueCommentEvent to deliver it.
func (r *Repo) AddComment(number int, user, body string) IssueComment {
	cs := r.s.comments()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := IssueComment{ID: cs.nextID, Number: number, User: user, Body: body, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	cs.nextID++
	cs.byRepo[r.FullName] = append(cs.byRepo[r.FullName], c)
	return c
}

// Comments lists the comments on PR number, oldest first (foureyes' replies included).
func (r *Repo) Comments(number int) []IssueComment {
	cs := r.s.comments()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []IssueComment
	for _, c := range cs.byRepo[r.FullName] {
		if c.Number == number {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) handleListComments(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	out := []any{}
	for _, c := range repo.Comments(n) {
		out = append(out, commentJSON(repo, c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleCreateComment(w http.ResponseWriter, r *http.Request, repo *Repo) {
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || repo.PRJSON(n) == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var req struct {
		Body *string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Body == nil {
		writeError(w, http.StatusUnprocessableEntity, "Invalid request.\n\n\"body\" wasn't supplied.")
		return
	}
	c := repo.AddComment(n, s.AppSlug+"[bot]", *req.Body)
	writeJSON(w, http.StatusCreated, commentJSON(repo, c))
}

func commentJSON(r *Repo, c IssueComment) map[string]any {
	api := fmt.Sprintf("%srepos/%s/issues", r.s.APIURL, r.FullName)
	return map[string]any{
		"id": c.ID, "node_id": nodeID("IssueComment", c.ID),
		"url":       fmt.Sprintf("%s/comments/%d", api, c.ID),
		"html_url":  fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", r.s.URL, r.FullName, c.Number, c.ID),
		"issue_url": fmt.Sprintf("%s/%d", api, c.Number),
		"body":      c.Body, "user": userJSON(c.User),
		"created_at": ts(c.CreatedAt), "updated_at": ts(c.CreatedAt),
		"author_association": "MEMBER", "performed_via_github_app": nil,
	}
}

// IssueCommentEvent builds issue_comment (action created, edited or deleted) for a
// comment on pull request p: the issue object carries a pull_request link, as GitHub's
// does for PR conversations.
func IssueCommentEvent(action string, r *Repo, p PR, c IssueComment) map[string]any {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	p = r.normPR(p)
	pr := prJSONLocked(r, p)
	issue := map[string]any{
		"id": pr["id"], "node_id": nodeID("Issue", pr["id"].(int64)), "number": p.Number,
		"url":      fmt.Sprintf("%srepos/%s/issues/%d", r.s.APIURL, r.FullName, p.Number),
		"html_url": pr["html_url"], "title": p.Title, "body": strOrNil(p.Body), "user": userJSON(p.Author),
		"state": p.State, "locked": false, "labels": []any{}, "assignees": []any{}, "assignee": nil,
		"comments": 1, "created_at": pr["created_at"], "updated_at": pr["updated_at"], "closed_at": pr["closed_at"],
		"author_association": "MEMBER",
		"pull_request": map[string]any{
			"url": pr["url"], "html_url": pr["html_url"],
			"diff_url": fmt.Sprint(pr["html_url"]) + ".diff", "patch_url": fmt.Sprint(pr["html_url"]) + ".patch",
			"merged_at": pr["merged_at"],
		},
	}
	m := envelopeLocked(r, action, c.User)
	m["issue"] = issue
	m["comment"] = commentJSON(r, c)
	return m
}
