package e2etest

import (
	"fmt"
	"time"

	"github.com/foureyes/foureyes/internal/githubtest"
)

// StrictPolicy needs one independent approval, the build check from GitHub Actions, and a
// ticket reference, on main and release branches.
const StrictPolicy = `version: 1
rules:
  - name: production code
    branches: [main, "release/**"]
    approvals:
      count: 1
    checks:
      - name: build
        app: github-actions
    ticket:
      pattern: '[A-Z][A-Z0-9]+-[0-9]+'
      in: [title, body, branch]
`

// SHA makes a readable fake SHA: SHA("h1") is "h1" padded with zeros to 40 hex-like
// characters, unique per label.
func SHA(label string) string {
	const hex = "0123456789abcdef"
	b := []byte(fmt.Sprintf("%x", label))
	for len(b) < 40 {
		b = append(b, hex[len(b)%16])
	}
	return string(b[:40])
}

// PRSpec describes a pull request to create.
type PRSpec struct {
	Number  int
	Title   string
	Author  string
	BaseRef string
	HeadRef string
	Files   []string
	Draft   bool
	// Commits are added in order; the last is the head.
	Commits []githubtest.Commit
}

// OpenPR puts the PR in the fake and sends pull_request opened. It returns the PR.
func (h *Harness) OpenPR(s PRSpec) githubtest.PR {
	h.T.Helper()
	if s.BaseRef == "" {
		s.BaseRef = "main"
	}
	if s.HeadRef == "" {
		s.HeadRef = fmt.Sprintf("feature/pay-%d", s.Number)
	}
	if s.Title == "" {
		s.Title = fmt.Sprintf("PAY-%d fix rounding", s.Number)
	}
	if len(s.Files) == 0 {
		s.Files = []string{"src/round.go"}
	}
	if len(s.Commits) == 0 {
		s.Commits = []githubtest.Commit{{SHA: SHA(fmt.Sprintf("pr%d-c1", s.Number)), Author: s.Author, Committer: s.Author, Message: "change"}}
	}
	base := SHA("base-" + s.BaseRef)
	var shas []string
	parent := base
	for i, c := range s.Commits {
		if len(c.Parents) == 0 {
			c.Parents = []string{parent}
		}
		if c.Date.IsZero() {
			c.Date = time.Date(2026, 11, 20, 9, i, 0, 0, time.UTC)
		}
		h.Repo.AddCommit(c)
		shas = append(shas, c.SHA)
		parent = c.SHA
	}
	pr := githubtest.PR{Number: s.Number, Title: s.Title, Author: s.Author, Draft: s.Draft, State: "open",
		BaseRef: s.BaseRef, BaseSHA: base, HeadRef: s.HeadRef, HeadSHA: shas[len(shas)-1], Commits: shas, Files: s.Files}
	h.Repo.SetPR(pr)
	h.Send("pull_request", githubtest.PullRequestEvent("opened", h.Repo, h.Repo.PR(s.Number), s.Author))
	return h.Repo.PR(s.Number)
}

// Approve adds an approval by user on the PR's current head (or on sha) and sends it.
func (h *Harness) Approve(number int, user string, sha ...string) {
	h.Review(number, user, "APPROVED", sha...)
}

// Review adds a review and sends pull_request_review submitted.
func (h *Harness) Review(number int, user, state string, sha ...string) githubtest.Review {
	h.T.Helper()
	pr := h.Repo.PR(number)
	commit := pr.HeadSHA
	if len(sha) > 0 {
		commit = sha[0]
	}
	rv := h.Repo.AddReview(number, githubtest.Review{User: user, State: state, CommitID: commit, SubmittedAt: time.Now().UTC()})
	h.Send("pull_request_review", githubtest.ReviewEvent("submitted", h.Repo, pr, rv, user))
	return rv
}

// PassBuild completes the build check from GitHub Actions on sha and sends check_run.
func (h *Harness) PassBuild(sha string) {
	h.CompleteCheck(sha, "build", "github-actions", 15368, "success")
}

// CompleteCheck adds a completed check run and sends check_run completed.
func (h *Harness) CompleteCheck(sha, name, appSlug string, appID int64, conclusion string) {
	h.T.Helper()
	c := h.Repo.AddCheckRun(sha, githubtest.CheckRun{Name: name, AppSlug: appSlug, AppID: appID, Status: "completed", Conclusion: conclusion})
	h.Send("check_run", githubtest.CheckRunEvent("completed", h.Repo, c, sha, "ci-bot"))
}

// Push adds commits to the PR (pushed by pusher) and sends pull_request synchronize.
func (h *Harness) Push(number int, pusher string, commits ...githubtest.Commit) githubtest.PR {
	h.T.Helper()
	pr := h.Repo.PR(number)
	before := pr.HeadSHA
	parent := before
	for _, c := range commits {
		if len(c.Parents) == 0 {
			c.Parents = []string{parent}
		}
		if c.Date.IsZero() {
			c.Date = time.Now().UTC()
		}
		h.Repo.AddCommit(c)
		pr.Commits = append(pr.Commits, c.SHA)
		parent = c.SHA
	}
	pr.HeadSHA = parent
	h.Repo.SetPR(pr)
	h.Send("pull_request", githubtest.PullRequestSynchronizeEvent(h.Repo, h.Repo.PR(number), before, pusher))
	return h.Repo.PR(number)
}
