package githubtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

var update = flag.Bool("update", false, "rewrite testdata/webhooks fixtures from the builders")

// offlineRepo is a deterministic world for payloads: a server that does not listen, with a
// fixed URL, repository acme/payments (installation 7) and PR 42 with two commits.
func offlineRepo() *Repo {
	s := newServer(nil, nil)
	s.URL = "https://github.example.com"
	s.APIURL = s.URL + apiPrefix + "/"
	s.GraphQLURL = s.URL + "/api/graphql"
	s.AddInstallation(7, "acme")
	s.SetRepositorySelection(7, "selected")
	r := s.AddRepo("acme/payments", 7)
	r.AddCommit(Commit{SHA: h(1), Parents: []string{h(0)}, Author: "alice", Committer: "alice", Message: "PAY-12 fix rounding", Files: []string{"src/round.go"}})
	r.AddCommit(Commit{SHA: h(2), Parents: []string{h(1)}, Author: "alice", Committer: "web-flow", Message: "PAY-12 tests\n\nCo-authored-by: Carol <carol@example.com>", Verified: true})
	r.SetBranch("main", h(0))
	r.SetPR(examplePR())
	return r
}

func h(i int) string { return strings.Repeat(string("0123456789abcdef"[i%16]), 40) }

func examplePR() PR {
	return PR{Number: 42, Title: "PAY-12 fix rounding", Body: "Fixes rounding of refunds.", Author: "alice",
		BaseRef: "main", BaseSHA: h(0), HeadRef: "feature/pay-12", HeadSHA: h(2), Commits: []string{h(1), h(2)},
		Files: []string{"src/round.go"}}
}

type builderCase struct {
	name    string // fixture file name when non-empty
	event   string
	payload map[string]any
	check   func(t *testing.T, ev any)
}

func builderCases(r *Repo) []builderCase {
	p := examplePR()
	merged := p
	merged.Merged, merged.MergedBy, merged.MergeCommitSHA = true, "bob", h(3)
	return []builderCase{
		{"pull_request.opened.json", "pull_request", PullRequestEvent("opened", r, p, "alice"), func(t *testing.T, ev any) {
			e := ev.(*github.PullRequestEvent)
			pr := e.GetPullRequest()
			expect(t, e.GetAction() == "opened" && e.GetNumber() == 42 && pr.GetUser().GetLogin() == "alice" && pr.GetHead().GetSHA() == h(2) &&
				pr.GetBase().GetRef() == "main" && pr.GetBase().GetSHA() == h(0) && pr.GetHead().GetRef() == "feature/pay-12" && !pr.GetDraft() &&
				pr.GetHead().GetRepo().GetFullName() == "acme/payments" && pr.GetState() == "open" && pr.GetBody() != "", "pull_request opened: %+v", e)
		}},
		{"pull_request.synchronize.json", "pull_request", PullRequestEvent("synchronize", r, p, "dave"), func(t *testing.T, ev any) {
			e := ev.(*github.PullRequestEvent)
			expect(t, e.GetAction() == "synchronize" && e.GetBefore() == h(1) && e.GetAfter() == h(2) && e.GetSender().GetLogin() == "dave", "synchronize: %+v", e)
		}},
		{"pull_request.closed.merged.json", "pull_request", PullRequestEvent("closed", r, merged, "bob"), func(t *testing.T, ev any) {
			pr := ev.(*github.PullRequestEvent).GetPullRequest()
			expect(t, pr.GetMerged() && pr.GetState() == "closed" && pr.GetMergedBy().GetLogin() == "bob" && pr.GetMergeCommitSHA() == h(3) && !pr.GetMergedAt().IsZero(), "merged: %+v", pr)
		}},
		{"pull_request_review.submitted.json", "pull_request_review", ReviewEvent("submitted", r, p, Review{ID: 7, User: "bob", State: "APPROVED", CommitID: h(2)}, "bob"), func(t *testing.T, ev any) {
			e := ev.(*github.PullRequestReviewEvent)
			rv := e.GetReview()
			expect(t, e.GetAction() == "submitted" && rv.GetState() == "approved" && rv.GetUser().GetLogin() == "bob" && rv.GetID() == 7 &&
				rv.GetCommitID() == h(2) && !rv.GetSubmittedAt().IsZero() && e.GetPullRequest().GetNumber() == 42, "review: %+v", e)
		}},
		{"pull_request_review.dismissed.json", "pull_request_review", ReviewEvent("dismissed", r, p, Review{ID: 7, User: "bob", State: "APPROVED", CommitID: h(2)}, "erin"), func(t *testing.T, ev any) {
			expect(t, ev.(*github.PullRequestReviewEvent).GetReview().GetState() == "dismissed", "dismissed state")
		}},
		{"check_run.completed.json", "check_run", CheckRunEvent("completed", r, CheckRun{ID: 900, Name: "build", Conclusion: "success"}, h(2), "github-actions[bot]"), func(t *testing.T, ev any) {
			c := ev.(*github.CheckRunEvent).GetCheckRun()
			expect(t, c.GetID() == 900 && c.GetName() == "build" && c.GetHeadSHA() == h(2) && c.GetStatus() == "completed" && c.GetConclusion() == "success" &&
				c.GetApp().GetSlug() == "github-actions" && c.GetApp().GetID() == 15368 && len(c.PullRequests) == 1 && c.PullRequests[0].GetNumber() == 42 &&
				c.GetCheckSuite().GetHeadSHA() == h(2), "check_run: %+v", c)
		}},
		{"", "check_run", CheckRunEvent("requested_action", r, CheckRun{ID: 901, Name: "foureyes", AppSlug: "foureyes", AppID: 1001, Conclusion: "failure",
			Actions: []CheckRunAction{{Label: "Re-evaluate", Identifier: "reevaluate"}}}, h(2), "bob"), func(t *testing.T, ev any) {
			e := ev.(*github.CheckRunEvent)
			expect(t, e.GetRequestedAction().Identifier == "reevaluate" && e.GetCheckRun().GetApp().GetID() == 1001, "requested_action: %+v", e)
		}},
		{"", "check_suite", CheckSuiteEvent("requested", r, h(2), "alice"), func(t *testing.T, ev any) {
			e := ev.(*github.CheckSuiteEvent)
			expect(t, e.GetAction() == "requested" && e.GetCheckSuite().GetHeadSHA() == h(2) && e.GetCheckSuite().GetApp().GetID() == 1001 &&
				len(e.GetCheckSuite().PullRequests) == 1, "check_suite: %+v", e)
		}},
		{"status.json", "status", StatusEvent(r, h(2), Status{ID: 11, Context: "ci/legacy", State: "success", Creator: "jenkins-bot"}), func(t *testing.T, ev any) {
			e := ev.(*github.StatusEvent)
			expect(t, e.GetSHA() == h(2) && e.GetContext() == "ci/legacy" && e.GetState() == "success" && e.GetSender().GetLogin() == "jenkins-bot" &&
				e.GetCommit().GetCommit().GetMessage() != "", "status: %+v", e)
		}},
		{"push.json", "push", PushEvent(r, "feature/pay-12", h(0), h(2), "alice"), func(t *testing.T, ev any) {
			e := ev.(*github.PushEvent)
			expect(t, e.GetRef() == "refs/heads/feature/pay-12" && e.GetBefore() == h(0) && e.GetAfter() == h(2) && e.GetPusher().GetName() == "alice" &&
				e.GetPusher().GetEmail() != "" && e.GetSender().GetLogin() == "alice" && len(e.Commits) == 2 && e.GetHeadCommit().GetID() == h(2) &&
				e.GetRepo().GetFullName() == "acme/payments" && e.GetInstallation().GetID() == 7, "push: %+v", e)
		}},
		{"merge_group.checks_requested.json", "merge_group", MergeGroupEvent(r, h(4), "", "main", []int{42}), func(t *testing.T, ev any) {
			e := ev.(*github.MergeGroupEvent)
			mg := e.GetMergeGroup()
			expect(t, e.GetAction() == "checks_requested" && mg.GetHeadSHA() == h(4) && mg.GetBaseRef() == "refs/heads/main" && mg.GetBaseSHA() == h(0) &&
				strings.HasPrefix(mg.GetHeadRef(), "refs/heads/gh-readonly-queue/main/pr-42-") && mg.GetHeadCommit().GetMessage() != "", "merge_group: %+v", mg)
		}},
		{"installation.created.json", "installation", InstallationEventFor(r.s, "created", 7, "acme", "payments", "ledger"), func(t *testing.T, ev any) {
			e := ev.(*github.InstallationEvent)
			expect(t, e.GetAction() == "created" && e.GetInstallation().GetID() == 7 && e.GetInstallation().GetAccount().GetLogin() == "acme" &&
				len(e.Repositories) == 2 && e.Repositories[0].GetFullName() == "acme/payments" && e.Repositories[0].GetID() == r.ID, "installation: %+v", e)
		}},
		{"", "installation", InstallationEvent("deleted", 9, "zeta"), func(t *testing.T, ev any) {
			expect(t, ev.(*github.InstallationEvent).GetInstallation().GetID() == 9, "installation deleted")
		}},
		{"installation_repositories.added.json", "installation_repositories", InstallationReposEventFor(r.s, "added", 7, "acme", "ledger"), func(t *testing.T, ev any) {
			e := ev.(*github.InstallationRepositoriesEvent)
			expect(t, e.GetAction() == "added" && len(e.RepositoriesAdded) == 1 && e.RepositoriesAdded[0].GetFullName() == "acme/ledger" && len(e.RepositoriesRemoved) == 0, "installation_repositories: %+v", e)
		}},
		{"", "installation_repositories", InstallationReposEvent("removed", 7, "acme", "acme/ledger"), func(t *testing.T, ev any) {
			e := ev.(*github.InstallationRepositoriesEvent)
			expect(t, len(e.RepositoriesRemoved) == 1 && len(e.RepositoriesAdded) == 0, "removed: %+v", e)
		}},
		{"deployment_protection_rule.requested.json", "deployment_protection_rule", DeploymentProtectionRuleEvent(r, "production", h(5), "main", "push", "", "dave", []int{42}), func(t *testing.T, ev any) {
			e := ev.(*github.DeploymentProtectionRuleEvent)
			expect(t, e.GetAction() == "requested" && e.GetEnvironment() == "production" && e.GetEvent() == "push" &&
				e.GetDeploymentCallbackURL() == "https://github.example.com/api/v3/repos/acme/payments/actions/runs/"+itoa(DeploymentRunID(r, "production", h(5)))+"/deployment_protection_rule" &&
				e.GetDeployment().GetCreator().GetLogin() == "dave" && e.GetDeployment().GetSHA() == h(5) && len(e.PullRequests) == 1 &&
				e.GetSender().GetLogin() == "dave" && e.GetInstallation().GetID() == 7, "deployment_protection_rule: %+v", e)
		}},
		{"deployment.created.json", "deployment", DeploymentEvent(r, "production", h(5), "main", "dave"), func(t *testing.T, ev any) {
			e := ev.(*github.DeploymentEvent)
			expect(t, e.GetDeployment().GetEnvironment() == "production" && e.GetDeployment().GetSHA() == h(5) && e.GetDeployment().GetCreator().GetLogin() == "dave", "deployment: %+v", e)
		}},
		{"deployment_status.created.json", "deployment_status", DeploymentStatusEvent(r, "production", h(5), "main", "success", "dave"), func(t *testing.T, ev any) {
			e := ev.(*github.DeploymentStatusEvent)
			expect(t, e.GetDeploymentStatus().GetState() == "success" && e.GetDeployment().GetSHA() == h(5), "deployment_status: %+v", e)
		}},
	}
}

func itoa(i int64) string { b, _ := json.Marshal(i); return string(b) }

func expect(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

// TestBuildersDecode checks that each builder's payload decodes with go-github v60's
// ParseWebHook into the event type with the key fields set.
func TestBuildersDecode(t *testing.T) {
	r := offlineRepo()
	for _, c := range builderCases(r) {
		t.Run(c.event+"/"+c.name, func(t *testing.T) {
			body, err := json.Marshal(c.payload)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := github.ParseWebHook(c.event, body)
			if err != nil {
				t.Fatalf("ParseWebHook(%s): %v", c.event, err)
			}
			c.check(t, ev)
			// Common envelope (installation events have no repository).
			var env struct {
				Installation struct{ ID int64 } `json:"installation"`
				Sender       struct{ Login, Type string }
				Repository   *struct {
					ID            int64  `json:"id"`
					FullName      string `json:"full_name"`
					DefaultBranch string `json:"default_branch"`
					Owner         struct{ Login string }
				}
			}
			_ = json.Unmarshal(body, &env)
			expect(t, env.Installation.ID != 0 && env.Sender.Login != "" && env.Sender.Type != "", "envelope: %+v", env)
			if env.Repository != nil {
				expect(t, env.Repository.FullName == "acme/payments" && env.Repository.Owner.Login == "acme" && env.Repository.DefaultBranch == "main" && env.Repository.ID != 0, "repository: %+v", env.Repository)
			}
		})
	}
}

// TestDeploymentProtectionRuleExtras checks the fields go-github v60 lacks (sha, ref) and the
// null deployment form.
func TestDeploymentProtectionRuleExtras(t *testing.T) {
	r := offlineRepo()
	m := DeploymentProtectionRuleEvent(r, "prod-eu", h(5), "release/1", "workflow_dispatch", "https://x.invalid/cb", "dave", nil)
	m["deployment"] = nil
	body, _ := json.Marshal(m)
	var extra struct {
		SHA, Ref     string
		Deployment   *struct{} `json:"deployment"`
		PullRequests []any     `json:"pull_requests"`
	}
	if err := json.Unmarshal(body, &extra); err != nil {
		t.Fatal(err)
	}
	if extra.SHA != h(5) || extra.Ref != "refs/heads/release/1" || extra.Deployment != nil || extra.PullRequests == nil {
		t.Errorf("extras: %+v", extra)
	}
	ev, err := github.ParseWebHook("deployment_protection_rule", body)
	if err != nil || ev.(*github.DeploymentProtectionRuleEvent).Deployment != nil {
		t.Errorf("null deployment: %v", err)
	}
}

func TestDeploymentReviewEvent(t *testing.T) {
	r := offlineRepo()
	body, _ := json.Marshal(DeploymentReviewEvent(r, "approved", "production", h(5), "erin", "ship it"))
	var e struct {
		Action, Environment, Comment string
		Approver                     struct{ Login string }
		WorkflowRun                  struct{ ID int64 } `json:"workflow_run"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatal(err)
	}
	if e.Action != "approved" || e.Approver.Login != "erin" || e.Comment != "ship it" || e.WorkflowRun.ID != DeploymentRunID(r, "production", h(5)) {
		t.Errorf("deployment_review: %+v", e)
	}
}

// TestFixtures checks that testdata/webhooks holds the builders' output (golden files).
func TestFixtures(t *testing.T) {
	r := offlineRepo()
	for _, c := range builderCases(r) {
		if c.name == "" {
			continue
		}
		want, err := json.MarshalIndent(c.payload, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, '\n')
		path := filepath.Join(FixtureDir(), c.name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the builder output; run go test ./internal/githubtest -run TestFixtures -update", c.name)
		}
		if _, err := github.ParseWebHook(c.event, got); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
