package server_test

import (
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// A replica that created the head's check run and died (or lost its database) before it
// stored the run's id leaves a run the store does not know. The next evaluation, on any
// replica, updates that run instead of creating a second one on the head (the chaos test
// once ended with two runs on a head after a PostgreSQL restart).
func TestRunCreatedBeforeAStoreFailureIsAdoptedNotDuplicated(t *testing.T) {
	h := e2etest.Start(t, e2etest.WithDSN(storetest.New(t, "postgres").DSN))
	h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy)
	head := e2etest.SHA("adopt-1")
	orphan := h.Repo.AddCheckRun(head, githubtest.CheckRun{Name: h.Config.Policy.CheckName, AppSlug: h.GH.AppSlug, AppID: h.GH.AppID, Status: "in_progress"})
	h.OpenPR(e2etest.PRSpec{Number: 61, Author: "alice", Commits: []githubtest.Commit{{SHA: head, Author: "alice", Committer: "alice", Message: "x"}}})
	h.WaitIdle()
	var runs []githubtest.CheckRun
	for _, c := range h.GH.OwnCheckRuns("acme/payments") {
		if c.HeadSHA == head {
			runs = append(runs, c)
		}
	}
	if len(runs) != 1 || runs[0].ID != orphan.ID || runs[0].Output.Title == "" {
		t.Fatalf("runs on the head: %+v; want only the orphan run #%d, written by the evaluation", runs, orphan.ID)
	}
}
