package server_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

// requestsTo counts the fake's requests of method whose path ends with suffix, from mark on.
func requestsTo(h *e2etest.Harness, mark int, method, suffix string) int {
	n := 0
	for _, r := range h.GH.Requests()[mark:] {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// The org has no acme/.github (404): that means "no baseline" only for an installation
// on all repositories. The installation token answer says which it is, so foureyes does
// not ask (GET /installation/repositories); only when the answer lacks the field (a
// GitHub-compatible server) does it ask, one request more for the same PR.
func TestOrgBaselineSelectionFromTokenAnswer(t *testing.T) {
	cost := map[bool]int{}
	for _, omitted := range []bool{false, true} {
		h := e2etest.Start(t)
		h.GH.OmitTokenSelection(omitted)
		pr := h.OpenPR(e2etest.PRSpec{Number: 39, Author: "alice"})
		h.WaitIdle()
		run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
		if !strings.Contains(run.Output.Summary, "Baseline: none") {
			t.Errorf("omitted=%v: no baseline should apply:\n%s", omitted, run.Output.Summary)
		}
		reads, want := requestsTo(h, 0, "GET", "/installation/repositories"), 0
		if omitted {
			want = 1
		}
		if reads != want {
			t.Errorf("token answer without the selection=%v: %d GET /installation/repositories, want %d", omitted, reads, want)
		}
		cost[omitted] = len(h.GH.Requests())
	}
	if cost[true] != cost[false]+1 {
		t.Errorf("%d requests when the token answer says the selection, %d when it does not: want exactly one fewer", cost[false], cost[true])
	}
}

// An admin switches the installation from all repositories to selected ones, and the org
// has no .github the installation can see. The token foureyes holds said "all" an hour
// ago; the installation_repositories webhook says "selected" now: from the next
// evaluation on (here an approval, which reads no new policy itself), the PR fails closed,
// without waiting for a new token or reading the selection.
func TestSelectionSwitchedByWebhookFailsClosed(t *testing.T) {
	h := e2etest.Start(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 40, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
	mark := len(h.GH.Requests())

	h.GH.SetRepositorySelection(e2etest.Installation, "selected")
	h.Send("installation_repositories", githubtest.InstallationReposEventFor(h.GH, "removed", e2etest.Installation, e2etest.Owner, "acme/ledger"))
	h.WaitIdle()
	h.Approve(40, "bob")
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "selected repositories only") {
		t.Errorf("the run should say the installation covers selected repositories only: %q", run.Output.Title)
	}
	if n := requestsTo(h, mark, "POST", "/access_tokens"); n != 0 {
		t.Errorf("%d new installation tokens: the switch must take effect from the webhook, not a new token", n)
	}
	if n := requestsTo(h, 0, "GET", "/installation/repositories"); n != 0 {
		t.Errorf("%d GET /installation/repositories: the token answer and the webhook said the selection", n)
	}
}
