package server_test

import (
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/githubtest"
)

const laxPolicy = `version: 1
rules:
  - name: anything goes
    branches: ["**"]
    checks: [{name: build}]
`

// A PR that weakens the policy is still judged by the base branch's policy.
func TestPolicyEditInPRIsJudgedByBase(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 30, Author: "alice", Files: []string{".github/foureyes.yml"}})
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes.yml", laxPolicy)
	h.PassBuild(pr.HeadSHA)
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Title, "approval") {
		t.Errorf("still needs an approval under main's policy, title %q", run.Output.Title)
	}
}

// A broken new policy file fails the check with annotations at its lines.
func TestBrokenPolicyInPRFailsWithAnnotations(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 31, Author: "alice", Files: []string{".github/foureyes.yml", "src/a.go"}})
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes.yml", "version: 1\nrules:\n  - name: x\n    approvals:\n      count: 0\n    colour: blue\n")
	h.PassBuild(pr.HeadSHA)
	h.Approve(31, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	var anns []githubtest.Annotation
	for _, w := range h.GH.CheckRunWrites(e2etest.Owner + "/" + e2etest.RepoName) {
		if w.HeadSHA == pr.HeadSHA || len(w.Annotations) > 0 {
			anns = append(anns, w.Annotations...)
		}
	}
	if len(anns) < 2 {
		t.Fatalf("want annotations for count and the unknown key, got %+v", anns)
	}
	lines := map[int]bool{}
	for _, a := range anns {
		if a.Path != ".github/foureyes.yml" {
			t.Errorf("annotation on %q", a.Path)
		}
		lines[a.StartLine] = true
	}
	if !lines[5] || !lines[6] {
		t.Errorf("want annotations on lines 5 and 6, got %v", lines)
	}
}

// A broken policy on the base branch fails the check and names file, line and column.
func TestBrokenBasePolicyFails(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", "version: 1\nrules:\n  - name: x\n    approvals: {count: zero}\n")
	pr := h.OpenPR(e2etest.PRSpec{Number: 32, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title+run.Output.Summary+run.Output.Text, ".github/foureyes.yml:4:") {
		t.Errorf("output should name file:line:\n%s\n%s\n%s", run.Output.Title, run.Output.Summary, run.Output.Text)
	}
}

// Retargeting a PR from a lax branch to a strict one re-evaluates under the new base.
func TestBaseRetargetUsesNewBasePolicy(t *testing.T) {
	h := strictHarness(t)
	h.Repo.SetFile("sandbox", ".github/foureyes.yml", laxPolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 33, Author: "alice", BaseRef: "sandbox"})
	h.PassBuild(pr.HeadSHA)
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	p := h.Repo.PR(33)
	p.BaseRef = "main"
	h.Repo.SetPR(p)
	ev := githubtest.PullRequestEvent("edited", h.Repo, h.Repo.PR(33), "alice")
	ev["changes"] = map[string]any{"base": map[string]any{"ref": map[string]any{"from": "sandbox"}, "sha": map[string]any{"from": e2etest.SHA("base-sandbox")}}}
	h.Send("pull_request", ev)
	h.CheckRun(pr.HeadSHA, e2etest.InProgress)
}

func TestNoPolicyIsNeutral(t *testing.T) {
	h := e2etest.Start(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 34, Author: "alice"})
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("neutral"))
}

// The org's policy in its .github repository is a baseline: it applies even when the
// repository has its own, laxer file.
func TestOrgBaselineAlwaysApplies(t *testing.T) {
	h := strictHarness(t)
	org := h.GH.AddRepo(e2etest.Owner+"/.github", e2etest.Installation)
	org.SetFile("main", "foureyes.yml", "version: 1\nrules:\n  - name: org four eyes\n    approvals:\n      count: 1\n")
	h.Repo.SetFile("main", ".github/foureyes.yml", laxPolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 35, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.WaitIdle()
	run := h.CheckRun(pr.HeadSHA, e2etest.InProgress)
	if !strings.Contains(run.Output.Summary, "org four eyes") {
		t.Errorf("the org rule should be listed:\n%s", run.Output.Summary)
	}
	h.Approve(35, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
}
