package chaos

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// class is what a PR's final facts give.
type class int

const (
	passing class = iota // approved by bob and built green on its final head
	failing              // approved, but its final build failed
	pending              // built green, never approved: waits for a review
)

func (c class) String() string { return [...]string{"passing", "failing", "pending"}[c] }

// want matches the check run the final facts of a PR of class c give.
func (c class) want(run githubtest.CheckRun) bool {
	switch c {
	case passing:
		return run.Status == "completed" && run.Conclusion == "success"
	case failing:
		return run.Status == "completed" && run.Conclusion == "failure"
	}
	return run.Status == "in_progress"
}

// step changes the fake GitHub as an event would, and returns the webhook that tells.
type step func() (event string, payload []byte)

// prScript is the life of one PR: opened, builds failing and passing, reviews, pushes by
// its author (which move the head), and last the two events that fix its class.
type prScript struct {
	number int
	class  class
	steps  []step
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// scripts writes prs PR scripts of k steps each (k >= 4) on repo.
func scripts(repo *githubtest.Repo, prs, k int) []*prScript {
	out := make([]*prScript, prs)
	for i := range out {
		n := i + 1
		s := &prScript{number: n, class: class(i % 3)}
		commits := 1
		open := func() (string, []byte) {
			sha := e2etest.SHA(fmt.Sprintf("chaos-pr%d-c1", n))
			repo.AddCommit(githubtest.Commit{SHA: sha, Parents: []string{e2etest.SHA("base-main")}, Author: "alice", Committer: "alice",
				Message: "change", Date: time.Now().UTC()})
			repo.SetPR(githubtest.PR{Number: n, Title: fmt.Sprintf("PAY-%d fix rounding", n), Author: "alice", State: "open",
				BaseRef: "main", BaseSHA: e2etest.SHA("base-main"), HeadRef: fmt.Sprintf("feature/chaos-%d", n), HeadSHA: sha,
				Commits: []string{sha}, Files: []string{"src/round.go"}})
			return "pull_request", mustJSON(githubtest.PullRequestEvent("opened", repo, repo.PR(n), "alice"))
		}
		build := func(conclusion string) step {
			return func() (string, []byte) {
				pr := repo.PR(n)
				c := repo.AddCheckRun(pr.HeadSHA, githubtest.CheckRun{Name: "build", AppSlug: "github-actions", AppID: 15368,
					Status: "completed", Conclusion: conclusion})
				return "check_run", mustJSON(githubtest.CheckRunEvent("completed", repo, c, pr.HeadSHA, "ci-bot"))
			}
		}
		review := func(user, state string) step {
			return func() (string, []byte) {
				pr := repo.PR(n)
				rv := repo.AddReview(n, githubtest.Review{User: user, State: state, CommitID: pr.HeadSHA, SubmittedAt: time.Now().UTC()})
				return "pull_request_review", mustJSON(githubtest.ReviewEvent("submitted", repo, pr, rv, user))
			}
		}
		push := func() (string, []byte) {
			pr := repo.PR(n)
			commits++
			sha := e2etest.SHA(fmt.Sprintf("chaos-pr%d-c%d", n, commits))
			repo.AddCommit(githubtest.Commit{SHA: sha, Parents: []string{pr.HeadSHA}, Author: "alice", Committer: "alice",
				Message: "more", Date: time.Now().UTC()})
			before := pr.HeadSHA
			pr.Commits = append(pr.Commits, sha)
			pr.HeadSHA = sha
			repo.SetPR(pr)
			return "pull_request", mustJSON(githubtest.PullRequestSynchronizeEvent(repo, repo.PR(n), before, "alice"))
		}
		approve := review("bob", "APPROVED")
		if s.class == pending {
			approve = review("carol", "COMMENTED") // never an approval
		}
		middle := []step{build("failure"), approve, build("success"), push}
		s.steps = append(s.steps, open)
		for j := 0; j < k-3; j++ {
			s.steps = append(s.steps, middle[j%len(middle)])
		}
		switch s.class {
		case passing:
			s.steps = append(s.steps, build("success"), review("bob", "APPROVED"))
		case failing:
			s.steps = append(s.steps, review("bob", "APPROVED"), build("failure"))
		case pending:
			s.steps = append(s.steps, build("success"), review("carol", "COMMENTED"))
		}
		out[i] = s
	}
	return out
}

// interleave orders the steps round-robin over the PRs, burst steps of one PR at a time
// (as GitHub sends a push, its check suite and its first check runs together): each PR's
// events spread over the whole load, and arrive in bursts that several replicas
// evaluate at once.
func interleave(ss []*prScript, burst int) []step {
	var out []step
	for j := 0; ; j += burst {
		added := false
		for _, s := range ss {
			for b := j; b < j+burst && b < len(s.steps); b++ {
				out = append(out, s.steps[b])
				added = true
			}
		}
		if !added {
			return out
		}
	}
}
