package policy

import (
	"strings"
	"testing"
)

func TestEvaluateDeployment(t *testing.T) {
	all := mustParse(t, `version: 1
deployments:
  - environments: [production, "prod-*"]
    require:
      approved_change: true
      independent_deployer: true
      checks: [build]
`)
	good := func() DeploymentFacts {
		return DeploymentFacts{Environment: "production", SHA: sha3, Ref: "main", Event: "deployment", Deployer: "rita",
			PullRequests: []DeployedPR{{Number: 42, Author: "alice", Merged: true, MergeOutcome: "pass", MergedHeadSHA: sha3,
				EvaluatedFresh: true, CommitAuthors: []string{"alice"}, Committers: []string{"web-flow"},
				CoAuthors: []string{"carol"}, Pushers: []string{"dave"}, MergeCommitSHA: sha3}},
			Checks: []Check{run(1, "build", "github-actions", "completed", "success", "10:00:00")}}
	}
	tests := []struct {
		name   string
		opts   DeploymentOptions
		policy *Policy
		facts  func(*DeploymentFacts)
		state  DeploymentState
		out    Outcome
		text   string
	}{
		{name: "approved", state: DeploymentApproved, out: OutcomePass, text: "#42 by alice merged with a passing decision on a300000"},
		{name: "glob environment", facts: func(f *DeploymentFacts) { f.Environment = "prod-eu" }, state: DeploymentApproved, out: OutcomePass},
		{name: "unnamed environment is approved", facts: func(f *DeploymentFacts) { f.Environment = "staging"; f.PullRequests = nil },
			state: DeploymentApproved, out: OutcomePass, text: "no deployment rule names environment staging"},
		{name: "nil policy approves", policy: &Policy{}, state: DeploymentApproved, out: OutcomePass, text: "no deployment rule names environment production"},
		{name: "server rejects unknown environments", opts: DeploymentOptions{UnknownEnvironments: []string{"prod*", "live"}},
			facts: func(f *DeploymentFacts) { f.Environment = "production-us" }, policy: &Policy{},
			state: DeploymentRejected, out: OutcomeFail, text: "no deployment rule names environment production-us and the server requires one for prod*"},
		{name: "unknown-environment patterns leave others alone", opts: DeploymentOptions{UnknownEnvironments: []string{"prod*"}},
			facts: func(f *DeploymentFacts) { f.Environment = "staging" }, state: DeploymentApproved, out: OutcomePass},
		{name: "no PR brought the SHA", facts: func(f *DeploymentFacts) { f.PullRequests = nil },
			state: DeploymentRejected, out: OutcomeFail, text: "no pull request brought a300000: it was not reviewed"},
		{name: "PR not merged", facts: func(f *DeploymentFacts) { f.PullRequests[0].Merged = false },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 by alice is not merged"},
		{name: "merged through a violation", facts: func(f *DeploymentFacts) { f.PullRequests[0].Violation = true; f.PullRequests[0].MergeOutcome = "fail" },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 by alice was merged through a violation (decision fail)"},
		{name: "no merge record", facts: func(f *DeploymentFacts) { f.PullRequests[0].MergeOutcome = "" },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 by alice has no merge record"},
		{name: "merged while pending", facts: func(f *DeploymentFacts) { f.PullRequests[0].MergeOutcome = "pending" },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 by alice was merged with decision pending"},
		{name: "decision not on merged head", facts: func(f *DeploymentFacts) { f.PullRequests[0].EvaluatedFresh = false },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 by alice passed, but not on the merged head a300000"},
		{name: "intermediate commit of the approved PR", facts: func(f *DeploymentFacts) { f.SHA = sha1 },
			state: DeploymentRejected, out: OutcomeFail, text: "a100000 is not the merge commit of a pull request merged with a passing decision (#42 merged as a300000)"},
		{name: "merge commit unknown", facts: func(f *DeploymentFacts) { f.PullRequests[0].MergeCommitSHA = "" },
			state: DeploymentRejected, out: OutcomeFail, text: "#42 has no known merge commit"},
		{name: "merge commit compares case-insensitively", facts: func(f *DeploymentFacts) { f.PullRequests[0].MergeCommitSHA = strings.ToUpper(sha3) },
			state: DeploymentApproved, out: OutcomePass},
		{name: "deployer is the PR author in another case", facts: func(f *DeploymentFacts) { f.Deployer = "Alice" },
			state: DeploymentRejected, out: OutcomeFail, text: "Alice is the author of #42"},
		{name: "deployer pushed, login in another case", facts: func(f *DeploymentFacts) { f.Deployer = "DAVE" },
			state: DeploymentRejected, out: OutcomeFail, text: "DAVE pushed to #42"},
		{name: "deployer is the PR author", facts: func(f *DeploymentFacts) { f.Deployer = "alice" },
			state: DeploymentRejected, out: OutcomeFail, text: "alice is the author of #42"},
		{name: "deployer committed", facts: func(f *DeploymentFacts) { f.Deployer = "bob"; f.PullRequests[0].Committers = []string{"bob"} },
			state: DeploymentRejected, out: OutcomeFail, text: "bob committed to #42"},
		{name: "deployer co-authored", facts: func(f *DeploymentFacts) { f.Deployer = "carol" },
			state: DeploymentRejected, out: OutcomeFail, text: "carol co-authored #42"},
		{name: "deployer pushed", facts: func(f *DeploymentFacts) { f.Deployer = "dave" },
			state: DeploymentRejected, out: OutcomeFail, text: "dave pushed to #42"},
		{name: "deployer authored a commit", facts: func(f *DeploymentFacts) {
			f.Deployer = "frank"
			f.PullRequests[0].CommitAuthors = []string{"alice", "frank"}
		},
			state: DeploymentRejected, out: OutcomeFail, text: "frank authored commits of #42"},
		{name: "bot deployer", facts: func(f *DeploymentFacts) { f.Deployer = "github-actions[bot]"; f.DeployerIsBot = true },
			state: DeploymentRejected, out: OutcomeFail, text: "deployer github-actions[bot] is not a person"},
		{name: "ghost deployer", facts: func(f *DeploymentFacts) { f.Deployer = "ghost" },
			state: DeploymentRejected, out: OutcomeFail, text: "deployer ghost is not a person"},
		{name: "no deployer", facts: func(f *DeploymentFacts) { f.Deployer = "" },
			state: DeploymentRejected, out: OutcomeFail, text: "deployer unknown is not a person"},
		{name: "failed check on the deployed SHA", facts: func(f *DeploymentFacts) { f.Checks[0].Conclusion = "failure" },
			state: DeploymentRejected, out: OutcomeFail, text: "check build failure"},
		{name: "running check is pending and rejected", facts: func(f *DeploymentFacts) { f.Checks[0].Status = "in_progress" },
			state: DeploymentRejected, out: OutcomePending, text: "waiting for build"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := all
			if tc.policy != nil {
				p = tc.policy
			}
			f := good()
			if tc.facts != nil {
				tc.facts(&f)
			}
			d := tc.opts.Evaluate(p, f)
			if d.State != tc.state || d.Outcome != tc.out {
				t.Errorf("state %s outcome %s, want %s %s\n%s", d.State, d.Outcome, tc.state, tc.out, d.JSON())
			}
			if tc.text != "" && !strings.Contains(string(d.JSON()), tc.text) {
				t.Errorf("missing %q in\n%s", tc.text, d.JSON())
			}
		})
	}
}

func TestDeploymentBaselineAlwaysApplies(t *testing.T) {
	base := mustParse(t, "version: 1\ndeployments:\n  - name: org\n    environments: [production]\n    require: {approved_change: true}\n")
	repo := mustParse(t, "version: 1\ndeployments:\n  - environments: [production]\n    require: {checks: [build]}\n")
	m, err := Merge(base, repo)
	if err != nil {
		t.Fatal(err)
	}
	d := EvaluateDeployment(m, DeploymentFacts{Environment: "production", SHA: sha3, Deployer: "rita",
		Checks: []Check{run(1, "build", "x", "completed", "success", "10:00:00")}})
	if d.State != DeploymentRejected || len(d.Rules) != 2 || d.Rules[0].Origin != OriginBaseline {
		t.Errorf("baseline deployment rule not applied:\n%s", d.JSON())
	}
}

func TestDeploymentErrorDecision(t *testing.T) {
	_, err := Parse("p.yml", []byte("version: 1\ndeployments: 3\n"))
	d := DeploymentErrorDecision("production", sha3, err)
	if d.State != DeploymentRejected || d.Outcome != OutcomeError || !strings.Contains(d.Reason, "p.yml:2:14") {
		t.Errorf("error decision = %s", d.JSON())
	}
}
