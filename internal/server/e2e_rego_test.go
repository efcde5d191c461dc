package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/backtest"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/policy"
)

// regoFilePolicy names a Rego module on the branch the policy is read from.
const regoFilePolicy = `version: 1
rules:
  - name: authors allow-list
    branches: [main]
    rego:
      file: .github/foureyes/authors.rego
      params: {allowed: [bob]}
`

const strictAuthorsModule = `package foureyes.authors

deny contains msg if {
	not input.pull_request.author in data.params.allowed
	msg := sprintf("%s may not change main", [input.pull_request.author])
}
`

const laxAuthorsModule = `package foureyes.authors

deny contains "never" if false
`

// A PR that rewrites the policy's Rego module to allow itself is judged by the module
// on the base branch, through the real server and the real GitHub client.
func TestRegoFileModuleFromBaseBranch(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", regoFilePolicy)
	h.Repo.SetFile("main", ".github/foureyes/authors.rego", strictAuthorsModule)
	pr := h.OpenPR(e2etest.PRSpec{Number: 40, Author: "alice", Files: []string{".github/foureyes/authors.rego"}})
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes/authors.rego", laxAuthorsModule)
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "alice may not change main") {
		t.Fatalf("the base branch's module must apply, title %q", run.Output.Title)
	}

	// The module changed on main (a new version, a new digest): the next evaluation
	// uses it, so the base really is what decides.
	h.Repo.SetFile("main", ".github/foureyes/authors.rego", laxAuthorsModule)
	pr2 := h.OpenPR(e2etest.PRSpec{Number: 41, Author: "alice"})
	h.CheckRun(pr2.HeadSHA, e2etest.Concluded("success"))
}

// A policy naming a module that is not on the base branch fails closed, at the file: key.
func TestRegoFileModuleMissingFailsClosed(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", regoFilePolicy)
	pr := h.OpenPR(e2etest.PRSpec{Number: 42, Author: "bob"})
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes/authors.rego", laxAuthorsModule)
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, ".github/foureyes.yml:6:13: rego.file .github/foureyes/authors.rego does not exist") {
		t.Fatalf("title %q", run.Output.Title)
	}
}

// The org baseline in the org's .github repository carries a Rego rule whose module lives
// in that repository: it judges every repository, and a repository file cannot remove it.
func TestRegoOrgBaselineModule(t *testing.T) {
	h := e2etest.Start(t)
	org := h.GH.AddRepo(e2etest.Owner+"/.github", e2etest.Installation)
	org.SetFile("main", "foureyes.yml", "version: 1\nrules:\n  - name: org authors\n    rego:\n      file: foureyes/authors.rego\n      params: {allowed: [bob]}\n")
	org.SetFile("main", "foureyes/authors.rego", strictAuthorsModule)
	h.Repo.SetFile("main", ".github/foureyes.yml", "version: 1\nrules:\n  - name: org authors\n    rego: {module: \"package x\\ndeny contains \\\"n\\\" if false\"}\n")
	pr := h.OpenPR(e2etest.PRSpec{Number: 43, Author: "alice"})
	run := h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "baseline rules cannot be changed or removed") {
		t.Fatalf("a repo rule reusing the baseline's name must be refused, title %q", run.Output.Title)
	}
	h.Repo.SetFile("main", ".github/foureyes.yml", "version: 1\nrules:\n  - name: lenient\n    rego: {module: \"package x\\ndeny contains \\\"n\\\" if false\"}\n")
	pr2 := h.OpenPR(e2etest.PRSpec{Number: 44, Author: "alice"})
	run = h.CheckRun(pr2.HeadSHA, e2etest.Concluded("failure"))
	if !strings.Contains(run.Output.Title, "alice may not change main") {
		t.Fatalf("the org module must still judge, title %q", run.Output.Title)
	}
}

// A PR that breaks the policy's Rego module fails its check, with an annotation in the
// module, so the broken module cannot reach the base branch.
func TestRegoBrokenModuleInPRFails(t *testing.T) {
	h := e2etest.Start(t)
	h.Repo.SetFile("main", ".github/foureyes.yml", regoFilePolicy)
	h.Repo.SetFile("main", ".github/foureyes/authors.rego", laxAuthorsModule)
	pr := h.OpenPR(e2etest.PRSpec{Number: 45, Author: "alice", Files: []string{".github/foureyes/authors.rego"}})
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes.yml", regoFilePolicy)
	h.Repo.SetFile(pr.HeadSHA, ".github/foureyes/authors.rego", "package foureyes.authors\n\ndeny contains \"late\" if time.now_ns() > 0\n")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("failure"))
	var paths []string
	for _, w := range h.GH.CheckRunWrites(e2etest.Owner + "/" + e2etest.RepoName) {
		for _, a := range w.Annotations {
			paths = append(paths, fmt.Sprintf("%s:%d", a.Path, a.StartLine))
		}
	}
	if !slices.Contains(paths, ".github/foureyes/authors.rego:3") {
		t.Fatalf("want an annotation at the module's line 3, got %v", paths)
	}
}

// A change merged through the real server is backtested from what the server recorded:
// the merge record names the merged head, whose last decision carries the facts.
func TestBacktestFromServerRecords(t *testing.T) {
	h := strictHarness(t)
	pr := h.OpenPR(e2etest.PRSpec{Number: 46, Author: "alice"})
	h.PassBuild(pr.HeadSHA)
	h.Approve(46, "bob")
	h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
	h.MergePR(46, "alice")
	h.WaitIdle()

	candidate, err := policy.Parse("candidate.yml", []byte("version: 1\nrules:\n  - name: two approvers\n    rego:\n      module: |\n"+
		"        package two\n        approvers := {r.user | some r in input.reviews; r.state == \"APPROVED\"}\n"+
		"        deny contains sprintf(\"needs 2 approvers, has %d\", [count(approvers)]) if count(approvers) < 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	repo := e2etest.Owner + "/" + e2etest.RepoName
	since, until := time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	changes, _, err := backtest.FromAudit(context.Background(), h.Store, repo, since, until)
	if err != nil {
		t.Fatal(err)
	}
	r := backtest.Run(candidate, repo, since, until, changes, "")
	if len(r.Results) != 1 || r.Failed != 1 || r.Results[0].PR != 46 || r.Results[0].Recorded != "pass" ||
		r.Results[0].Decision.Title != "needs 2 approvers, has 1" {
		t.Fatalf("report %+v", r)
	}
}
