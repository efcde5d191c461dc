package server_test

import (
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

func withRecovery(c *config.Config) {
	c.Recovery.Disabled = false
	c.Recovery.ReconcileInterval = config.Duration(time.Hour) // both loops also run at start
	c.Recovery.SweepInterval = config.Duration(time.Hour)
}

// pendingPRThenDown opens PR n (waiting for an approval, build passed) on a server with
// the recovery loops on, then stops the server.
func pendingPRThenDown(t *testing.T, n int) (*e2etest.Harness, githubtest.PR) {
	h := e2etest.Start(t, e2etest.WithConfig(withRecovery))
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	h.Repo.SetPermission("bob", "write")
	pr := h.OpenPR(e2etest.PRSpec{Number: n, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	h.WaitIdle()
	h.Stop()
	return h, pr
}

// While foureyes was down GitHub delivered nothing (every attempt failed). At start the
// reconciler asks GitHub to redeliver what never succeeded, exactly once, and the PR's
// check becomes right.
func TestWebhooksMissedWhileDownAreRedelivered(t *testing.T) {
	h, pr := pendingPRThenDown(t, 70)

	// GitHub tries to deliver the approval while foureyes is down.
	rv := h.Repo.AddReview(70, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	h.GH.SetHookTarget("http://127.0.0.1:1/api/github/hook", e2etest.Secret) // nobody listens
	missed := h.GH.DeliverHook("pull_request_review", "submitted", marshal(t, githubtest.ReviewEvent("submitted", h.Repo, pr, rv, "bob")))
	if missed.Status == "OK" {
		t.Fatalf("the delivery should have failed while down: %+v", missed)
	}
	h.GH.SetHookTarget(h.Config.Server.PublicURL+"/api/github/hook", e2etest.Secret)

	h.StartAgain()
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	if got := h.GH.Redeliveries(); len(got) != 1 || got[0] != missed.ID {
		t.Errorf("redeliveries %v, want exactly [%d]", got, missed.ID)
	}
	// A restart does not redeliver it again.
	h.Restart()
	h.WaitIdle()
	if got := h.GH.Redeliveries(); len(got) != 1 {
		t.Errorf("after a restart: redeliveries %v, want still one", got)
	}
}

// An approval given while foureyes was down, with no delivery left to redeliver (older
// than GitHub's window, or never attempted): the sweep at start re-evaluates the PR.
func TestSweepAtStartFixesAPRApprovedWhileDown(t *testing.T) {
	h, pr := pendingPRThenDown(t, 71)

	time.Sleep(1100 * time.Millisecond) // GitHub times have whole seconds: the approval comes a second later
	h.Repo.AddReview(71, githubtest.Review{User: "bob", State: "APPROVED", CommitID: pr.HeadSHA, SubmittedAt: time.Now()})
	p := h.Repo.PR(71)
	p.UpdatedAt = time.Now().UTC()
	h.Repo.SetPR(p)

	h.StartAgain()
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}
