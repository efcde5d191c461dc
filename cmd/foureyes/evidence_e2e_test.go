package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/e2etest"
	"github.com/foureyes/foureyes/internal/evidence"
	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// A database written by the real server: a PR merged with a passing decision and its push
// to main (no violation), a direct push to main by someone else (a violation naming the
// pusher and the commits), a deployment. Then the auditor's commands on it: sample,
// evidence packages verified offline, the period report.
func TestEvidenceCommandsOnAServerDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		h := e2etest.Start(t, e2etest.WithDSN(b.DSN), e2etest.WithConfig(func(c *config.Config) { c.Deployments.RejectUnknown = []string{"prod-*"} }))
		h.Repo.SetFile("main", ".github/foureyes.yml", e2etest.StrictPolicy+"deployments:\n  - environments: [production]\n    require: {approved_change: true}\n")
		h.Repo.SetPermission("bob", "write")
		pr := h.OpenPR(e2etest.PRSpec{Number: 7, Author: "alice", Title: `PAY-7 <img src=x onerror=alert(1)>`})
		h.PassBuild(pr.HeadSHA)
		h.Approve(7, "bob")
		h.CheckRun(pr.HeadSHA, e2etest.Concluded("success"))
		h.WaitIdle()
		merge := h.MergePR(7, "bob")
		h.Send("push", githubtest.PushEvent(h.Repo, "main", pr.BaseSHA, merge, "bob"))
		hotfix := e2etest.SHA("hotfix")
		h.Repo.AddCommit(githubtest.Commit{SHA: hotfix, Parents: []string{merge}, Author: "root", Committer: "root", Message: "hotfix"})
		h.Repo.SetBranch("main", hotfix)
		h.Send("push", githubtest.PushEvent(h.Repo, "main", merge, hotfix, "root"))
		// A PR that breaks the policy file: failed by the "policy file change" rule, which
		// is re-performed from the file recorded in its facts.
		bad := h.OpenPR(e2etest.PRSpec{Number: 8, Author: "alice", Files: []string{".github/foureyes.yml"}})
		h.Repo.SetFile(bad.HeadSHA, ".github/foureyes.yml", "version: 1\nrules:\n  - name: x\n    approvals: {count: 0}\n")
		h.Send("pull_request", githubtest.PullRequestEvent("edited", h.Repo, bad, "alice"))
		h.CheckRun(bad.HeadSHA, e2etest.Concluded("failure"))
		if ds := h.Records(store.Filter{PR: 8, Kinds: []store.Kind{store.KindPRDecision}}); len(ds) == 0 ||
			!strings.Contains(string(ds[len(ds)-1].Decision), "policy file change") || !strings.Contains(string(ds[len(ds)-1].Facts), `"policy_file"`) {
			t.Fatalf("PR 8's decision has no policy file change rule: %+v", ds)
		}
		// A PR against a branch whose policy does not parse: a policy_error, re-performed
		// from the file as read.
		h.Repo.SetFile("release/1", ".github/foureyes.yml", "version: 1\nrules:\n  - name: [broken\n")
		broken := h.OpenPR(e2etest.PRSpec{Number: 9, Author: "alice", BaseRef: "release/1"})
		h.CheckRun(broken.HeadSHA, e2etest.Concluded("failure"))
		if ds := h.Records(store.Filter{PR: 9, Kinds: []store.Kind{store.KindPolicyError}}); len(ds) == 0 || !strings.HasPrefix(ds[0].PolicyDigest, "inputs:") {
			t.Fatalf("PR 9: no policy_error naming its inputs: %+v", ds)
		}
		run := h.Deploy("production", merge, "carol")
		if ans := h.DeploymentAnswer(run, "production"); ans.State != "approved" {
			t.Fatalf("deployment answer %+v", ans)
		}
		h.WaitIdle()

		vs := h.Records(store.Filter{Kinds: []store.Kind{store.KindViolation}})
		if len(vs) != 1 || vs[0].Actor != "root" || vs[0].SHA != hotfix || vs[0].Subject != "push:"+hotfix || !strings.Contains(string(vs[0].Facts), hotfix) {
			t.Fatalf("want one direct-push violation by root naming %s, got %+v", hotfix, vs)
		}
		if !strings.Contains(string(vs[0].Decision), "pushed directly to main by root") {
			t.Errorf("violation decision %s", vs[0].Decision)
		}

		out, code := runAuditCLI(t, "audit", "sample", "--store", b.DSN, "--size", "5", "--seed", "q4", "--strata", "violation", "--format", "json")
		var s struct {
			PopulationSize int                `json:"population_size"`
			Digest         string             `json:"population_digest"`
			Sample         []evidence.Sampled `json:"sample"`
		}
		if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.PopulationSize != 2 || len(s.Sample) != 2 || s.Digest == "" {
			t.Fatalf("sample: exit %d: %s", code, out)
		}

		dir := t.TempDir()
		out, code = runAuditCLI(t, "audit", "verify", "--store", b.DSN)
		if code != 0 {
			t.Fatalf("verify: %s", out)
		}
		m := regexp.MustCompile(`head ([0-9a-f]{64})`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("verify names no head: %s", out)
		}
		head := m[1]
		for _, args := range [][]string{{"--pr", "7"}, {"--sha", hotfix}, {"--pr", "8"}, {"--pr", "9"}, {"--sha", merge}} {
			zip := filepath.Join(dir, "change"+args[0]+args[1]+".zip")
			out, code = runAuditCLI(t, append([]string{"audit", "evidence", "--store", b.DSN, "--repo", "acme/payments", "--out", zip}, args...)...)
			if code != 0 {
				t.Fatalf("evidence %v: exit %d: %s", args, code, out)
			}
			out, code = runAuditCLI(t, "audit", "evidence", "verify", zip, "--head", head)
			if code != 0 || !strings.HasPrefix(out, "verified ") {
				t.Fatalf("evidence verify %v: exit %d: %s", args, code, out)
			}
			// Every package re-performs: decisions, the merge's verdict, the direct push, the
			// deployment (--sha merge: its merge and its deployment decision).
			if n := regexp.MustCompile(`(\d+) decisions re-performed`).FindStringSubmatch(out); n == nil || n[1] == "0" || args[1] == merge && n[1] != "2" {
				t.Errorf("evidence verify %v re-performed no decision: %s", args, out)
			}
			if strings.Contains(out, "not re-performed") {
				t.Errorf("evidence verify %v left a decision not re-performed: %s", args, out)
			}
			if args[1] == hotfix {
				f, _ := os.ReadFile(zip)
				html, err := evidence.ReadPackageFile(bytes.NewReader(f), int64(len(f)), "summary.html")
				if err != nil || !strings.Contains(string(html), "pushed directly to main by root") {
					t.Errorf("the direct push's summary does not say what happened: %v\n%s", err, html)
				}
			}
			out, code = runAuditCLI(t, "audit", "evidence", "verify", zip, "--head", strings.Repeat("0", 64))
			if code != 1 || !strings.Contains(out, "not in this package") {
				t.Errorf("a wrong head: exit %d: %s", code, out)
			}
		}
		out, code = runAuditCLI(t, "audit", "sample", "--store", b.DSN, "--size", "5", "--seed", "q4", "--evidence", filepath.Join(dir, "sampled"), "--out", filepath.Join(dir, "sample.csv"))
		entries, _ := os.ReadDir(filepath.Join(dir, "sampled"))
		if code != 0 || len(entries) != 2 {
			t.Errorf("sample --evidence: exit %d, %d packages: %s", code, len(entries), out)
		}

		out, code = runAuditCLI(t, "audit", "report", "--store", b.DSN, "--format", "json")
		var rep evidence.Report
		if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
			t.Fatalf("report: exit %d: %s", code, out)
		}
		if !rep.Chain.Verified || rep.Chain.HeadHash != head || rep.Merges != 1 || rep.MergedWithPass != 1 ||
			len(rep.Exceptions) != 1 || rep.Exceptions[0].What != "direct push" || len(rep.Exceptions[0].Notes) != 0 ||
			len(rep.Deployments) != 1 || rep.Deployments[0].Approved != 1 {
			t.Errorf("report: %s", out)
		}
		html := filepath.Join(dir, "report.html")
		if out, code = runAuditCLI(t, "audit", "report", "--store", b.DSN, "--org", "acme", "--out", html); code != 0 {
			t.Fatalf("report html: exit %d: %s", code, out)
		}
		page, _ := os.ReadFile(html)
		if !strings.Contains(string(page), "no review") || !strings.Contains(string(page), "direct push") {
			t.Errorf("the HTML report lacks the direct push:\n%s", page)
		}

		// A deployment to an environment no rule names, which the server's gate options
		// (deployments.reject_unknown) reject: recorded with those options, so re-performed.
		run2 := h.Deploy("prod-eu", merge, "carol")
		if ans := h.DeploymentAnswer(run2, "prod-eu"); ans.State != "rejected" {
			t.Fatalf("prod-eu deployment answer %+v", ans)
		}
		h.WaitIdle()
		deps := h.Records(store.Filter{Kinds: []store.Kind{store.KindDeploymentDecision}})
		if len(deps) != 2 || !strings.Contains(string(deps[1].Facts), `"deployment_options":{"unknown_environments":["prod-*"]}`) {
			t.Fatalf("want two deployment decisions recording their gate options, got %+v", deps)
		}
		zip := filepath.Join(dir, "deployments.zip")
		if out, code = runAuditCLI(t, "audit", "evidence", "--store", b.DSN, "--repo", "acme/payments", "--sha", merge, "--out", zip); code != 0 {
			t.Fatalf("evidence of the deployments: exit %d: %s", code, out)
		}
		if out, code = runAuditCLI(t, "audit", "evidence", "verify", zip); code != 0 || !strings.Contains(out, ", 3 decisions re-performed,") {
			t.Errorf("evidence verify of the merge and its two deployments: exit %d: %s", code, out)
		}
		// Each deployment is re-derived by `policy eval` from the package alone: its
		// recorded facts document and the policy inputs its digest names.
		pkg, _ := os.ReadFile(zip)
		for i, d := range deps {
			factsDoc, err := evidence.ReadPackageFile(bytes.NewReader(pkg), int64(len(pkg)), fmt.Sprintf("records/%d-deployment_decision.facts.json", d.Seq))
			if err != nil {
				t.Fatal(err)
			}
			inputsDoc, err := evidence.ReadPackageFile(bytes.NewReader(pkg), int64(len(pkg)), evidence.PolicyFileName(d.PolicyDigest))
			if err != nil {
				t.Fatal(err)
			}
			factsFile, inputsFile := filepath.Join(dir, fmt.Sprintf("deploy%d.facts.json", i)), filepath.Join(dir, fmt.Sprintf("deploy%d.policy.json", i))
			if os.WriteFile(factsFile, factsDoc, 0o600) != nil || os.WriteFile(inputsFile, inputsDoc, 0o600) != nil {
				t.Fatal("write the package's files")
			}
			out, code = runAuditCLI(t, "policy", "eval", "--policy", inputsFile, "--facts", factsFile, "--format", "json")
			var got, want bytes.Buffer
			if wantCode := map[string]int{"approved": 0, "rejected": 1}[d.Outcome]; code != wantCode || json.Compact(&got, []byte(out)) != nil ||
				json.Compact(&want, d.Decision) != nil || got.String() != want.String() {
				t.Errorf("policy eval of recorded deployment %d: exit %d:\n%s\nwant %s", d.Seq, code, out, d.Decision)
			}
		}

		// Deployment decisions changed after the fact, each appended with a correct
		// SHA-256 chain and recomputed document digests: the prod-eu rejection rewritten to
		// an approval (its decision document), and the production approval of another run
		// whose facts no longer support it. Re-performance reports both.
		forged := deps[1]
		forged.Subject, forged.Outcome = "run:998/env:prod-eu", "approved"
		forged.Decision = bytes.Replace(forged.Decision, []byte(`"state":"rejected"`), []byte(`"state":"approved"`), 1)
		b.ForgeAppend(t, forged)
		unsupported := deps[0]
		unsupported.Subject = "run:999/env:production"
		unsupported.Facts = bytes.Replace(unsupported.Facts, []byte(`"merged":true`), []byte(`"merged":false`), 1)
		b.ForgeAppend(t, unsupported)
		zip = filepath.Join(dir, "forged.zip")
		if out, code = runAuditCLI(t, "audit", "evidence", "--store", b.DSN, "--repo", "acme/payments", "--sha", merge, "--out", zip); code != 0 {
			t.Fatalf("evidence of the forged deployments: exit %d: %s", code, out)
		}
		out, code = runAuditCLI(t, "audit", "evidence", "verify", zip)
		if code != 1 || strings.Count(out, "re-performed decision differs from the recorded one (recorded approved, re-performed rejected") != 2 {
			t.Errorf("forged deployment decisions: exit %d: %s", code, out)
		}
	})
}
