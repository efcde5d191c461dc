package e2etest

import (
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// Comment adds a conversation comment by user on PR number and sends issue_comment
// created.
func (h *Harness) Comment(number int, user, body string) githubtest.IssueComment {
	h.T.Helper()
	c := h.Repo.AddComment(number, user, body)
	h.Send("issue_comment", githubtest.IssueCommentEvent("created", h.Repo, h.Repo.PR(number), c))
	return c
}

// Reply waits for foureyes' reply comment on PR number that contains want, and returns
// its body.
func (h *Harness) Reply(number int, want string) string {
	h.T.Helper()
	var body string
	Eventually(h.T, 15*time.Second, "a foureyes reply containing "+want, func() bool {
		for _, c := range h.Repo.Comments(number) {
			if strings.HasSuffix(c.User, "[bot]") && strings.Contains(c.Body, want) {
				body = c.Body
				return true
			}
		}
		return false
	})
	return body
}
