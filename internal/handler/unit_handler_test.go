package handler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/deploy"
	"github.com/foureyes/foureyes/internal/health"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

const hex40 = "0123456789abcdef0123456789abcdef01234567"

func TestMergeGroupPRsUnit(t *testing.T) {
	tests := []struct {
		name, ref, message string
		want               []int
	}{
		{name: "queue ref", ref: "refs/heads/gh-readonly-queue/main/pr-42-" + hex40, want: []int{42}},
		{name: "queue ref without refs/heads", ref: "gh-readonly-queue/main/pr-7-" + hex40, want: []int{7}},
		{name: "queue ref on a branch with slashes", ref: "refs/heads/gh-readonly-queue/release/v1.2/pr-9-" + hex40, want: []int{9}},
		{name: "merge commit message", message: "Merge pull request #12 from x/y\n\nBody", want: []int{12}},
		{name: "squash title", message: "Fix the thing (#13)", want: []int{13}},
		{name: "ref and messages", ref: "refs/heads/gh-readonly-queue/main/pr-42-" + hex40,
			message: "Merge pull request #12 from x/y\nFix (#13)\nMerge pull request #42 from a/b\n", want: []int{12, 13, 42}},
		{name: "duplicates", message: "Fix (#5)\nMerge pull request #5 from x/y\nAgain (#5)", want: []int{5}},
		{name: "unsorted input", message: "B (#30)\nA (#3)\nC (#300)", want: []int{3, 30, 300}},
		{name: "CRLF squash titles", message: "Fix (#13)\r\nOther (#14)\r\n", want: []int{13, 14}},
		{name: "none", want: []int{}},
		{name: "garbage", ref: "refs/heads/main", message: "no numbers here #x (#) (#-1) pull request #", want: []int{}},
		{name: "reference in the middle of a line is not a PR", message: "Fix (#13) and more", want: []int{}},
		{name: "merge pull request not at line start", message: "Revert \"Merge pull request #8 from x/y\"", want: []int{}},
		{name: "zero", ref: "refs/heads/gh-readonly-queue/main/pr-0-" + hex40, message: "Merge pull request #0 from x/y\nX (#0)", want: []int{}},
		{name: "leading zeros", message: "X (#007)", want: []int{7}},
		{name: "overflowing number in ref", ref: "refs/heads/gh-readonly-queue/main/pr-99999999999999999999999-" + hex40, want: []int{}},
		{name: "overflowing number in message", message: "X (#99999999999999999999999)", want: []int{}},
		{name: "ref without sha", ref: "refs/heads/gh-readonly-queue/main/pr-42", want: []int{}},
		{name: "uppercase sha", ref: "refs/heads/gh-readonly-queue/main/pr-42-ABCDEF", want: []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mergeGroupPRs(tt.ref, tt.message)
			if got == nil {
				t.Fatal("nil slice")
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("mergeGroupPRs(%q, %q) = %v, want %v", tt.ref, tt.message, got, tt.want)
			}
		})
	}
}

func FuzzMergeGroupPRs(f *testing.F) {
	f.Add("refs/heads/gh-readonly-queue/main/pr-42-"+hex40, "Merge pull request #12 from x/y\nFix (#13)")
	f.Add("", "")
	f.Add("pr-0-a", "(#0)")
	f.Add("refs/heads/gh-readonly-queue/main/pr-99999999999999999999-ab", "Merge pull request #99999999999999999999 x")
	f.Add("/pr-1-f/pr-2-e", "(#3)\n(#3)\nMerge pull request #3")
	f.Fuzz(func(t *testing.T, ref, message string) {
		got := mergeGroupPRs(ref, message)
		for i, n := range got {
			if n <= 0 {
				t.Fatalf("non-positive PR number %d in %v", n, got)
			}
			if i > 0 && got[i-1] >= n {
				t.Fatalf("not sorted and unique: %v", got)
			}
			if !strings.Contains(ref+"\n"+message, fmt.Sprint(n)) && !strings.Contains(ref+"\n"+message, "0"+fmt.Sprint(n)) {
				t.Fatalf("number %d not in the input", n)
			}
		}
	})
}

// noClients stands in for go-githubapp's client creator: every client fails, so a path that
// needs GitHub ends in an error instead of a nil dereference.
type noClients struct{ githubapp.ClientCreator }

var errNoClients = errors.New("no GitHub clients in this test")

func (noClients) NewInstallationClient(int64) (*github.Client, error) { return nil, errNoClients }
func (noClients) NewAppClient() (*github.Client, error)               { return nil, errNoClients }

func fuzzBase(tb testing.TB) *Base {
	tb.Helper()
	st, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "fuzz.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	return &Base{Store: st, Clients: noClients{}, AppID: 99, PolicyPath: ".github/foureyes.yml", MaxBackfill: 5,
		Now: func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }}
}

type eventHandler interface {
	Handles() []string
	Handle(ctx context.Context, eventType, deliveryID string, payload []byte) error
}

func allHandlers(b *Base) []eventHandler {
	return []eventHandler{&PullRequest{b}, &PullRequestReview{b}, &CheckRun{b}, &CheckSuite{b}, &Status{b},
		&Push{b}, &MergeGroup{b}, &Installation{b}, &DeploymentEvents{b}, &DeploymentProtectionRule{Base: b}, &IssueComment{b},
		&ControlHealth{Base: b, Prober: &health.Prober{Clients: b.Clients, Store: b.Store, AppID: b.AppID, CheckName: "foureyes"}}}
}

// needsEvaluator says whether a payload reaches a path this test cannot build: the
// Evaluator (merge_group checks_requested) and the deployment Gate (protection rule
// requested) are concrete types that need GitHub.
func needsEvaluator(eventType string, payload []byte) bool {
	switch eventType {
	case "merge_group":
		var ev github.MergeGroupEvent
		return json.Unmarshal(payload, &ev) == nil && ev.GetAction() == "checks_requested"
	case "deployment_protection_rule":
		r, err := deploy.DecodeRequest("d", payload)
		return err == nil && r.Action == "requested"
	case "issue_comment":
		var ev github.IssueCommentEvent
		if json.Unmarshal(payload, &ev) != nil || ev.GetAction() != "created" || !ev.GetIssue().IsPullRequest() {
			return false
		}
		_, isCommand := policy.ParseEmergencyCommand(ev.GetComment().GetBody())
		return isCommand && !strings.HasSuffix(ev.GetComment().GetUser().GetLogin(), "[bot]") && ev.GetComment().GetUser().GetType() != "Bot"
	}
	return false
}

var handlerSeeds = map[string][]string{
	"pull_request": {
		`{"action":"opened","number":1,"pull_request":{"number":1,"state":"open","head":{"sha":"` + hex40 + `","ref":"f"},"base":{"ref":"main"}},"repository":{"id":1,"name":"r","full_name":"o/r","owner":{"login":"o"}},"installation":{"id":3}}`,
		`{"action":"synchronize","before":"a","after":"b","pull_request":{"number":2},"repository":{"full_name":"o/r"},"sender":{"login":"u"}}`,
		`{"action":"closed","pull_request":{"number":3,"merged":true,"merged_at":"2026-01-01T00:00:00Z","head":{"sha":"x"}},"repository":{"full_name":"o/r"}}`,
		`{"action":"closed","pull_request":{"number":3,"merged":true}}`,
		`{"action":"synchronize"}`,
	},
	"issue_comment": {`{"action":"created","issue":{"number":1,"pull_request":{"url":"u"}},"comment":{"id":1,"body":"LGTM","user":{"login":"a"}}}`,
		`{"action":"created","issue":{"number":1},"comment":{"body":"/foureyes emergency INC-1 x"}}`,
		`{"action":"created","issue":{"number":1,"pull_request":{}},"comment":{"body":"/foureyes emergency INC-1","user":{"login":"foureyes[bot]","type":"Bot"}}}`,
		`{"action":"edited","issue":{"pull_request":{}},"comment":{"body":"/foureyes emergency INC-1"}}`, `{}`},
	"pull_request_review": {`{"action":"submitted","review":{"state":"approved"},"pull_request":{"number":4},"repository":{"full_name":"o/r","name":"r","owner":{"login":"o"}}}`, `{"action":"dismissed"}`},
	"check_run": {`{"action":"completed","check_run":{"head_sha":"` + hex40 + `","app":{"id":1},"pull_requests":[{"number":5,"base":{"repo":{"id":1}}},null]},"repository":{"id":1,"full_name":"o/r"}}`,
		`{"action":"requested_action","check_run":{"app":{"id":99}}}`, `{"action":"requested_action","check_run":{"app":{"id":99}},"requested_action":{"identifier":"x"}}`,
		`{"action":"rerequested","check_run":{"app":{"id":99}}}`, `{"action":"completed"}`},
	"check_suite":               {`{"action":"completed","check_suite":{"head_sha":"s","pull_requests":[null,{}]}}`, `{"action":"completed"}`},
	"status":                    {`{"sha":"` + hex40 + `","state":"success","repository":{"full_name":"o/r"}}`, `{}`},
	"push":                      {`{"ref":"refs/heads/main","before":"a","after":"b","commits":[{"modified":[".github/foureyes.yml"]},null],"repository":{"full_name":"o/r","owner":{"name":"o"}},"pusher":{"name":"p"}}`, `{"ref":"refs/heads/x","deleted":true}`, `{"ref":"refs/heads/x","commits":[null]}`},
	"merge_group":               {`{"action":"checks_requested","merge_group":{"head_ref":"refs/heads/gh-readonly-queue/main/pr-1-ab"}}`, `{"action":"destroyed"}`},
	"installation":              {`{"action":"created","installation":{"id":1,"account":{"login":"o"}},"repositories":[{"full_name":"o/r"},null]}`, `{"action":"deleted"}`, `{"action":"created","repositories":[]}`},
	"installation_repositories": {`{"action":"added","installation":{"id":1},"repositories_added":[{"full_name":"o/r"}],"repositories_removed":[null]}`, `{"action":"removed","repositories_removed":[{"full_name":"o/r"}]}`},
	"deployment":                {`{"action":"created","deployment":{"id":1,"sha":"s","environment":"prod","creator":{"login":"c"}},"workflow_run":{"id":9},"repository":{"full_name":"o/r"}}`, `{}`},
	"deployment_status":         {`{"action":"created","deployment_status":{"state":"success","environment":"prod"},"deployment":{"id":1}}`, `{}`},
	"deployment_review":         {`{"action":"approved","environment":"prod","approver":{"login":"a"},"workflow_run":{"id":9,"head_sha":"s"},"workflow_job_runs":[{"environment":"e"}]}`, `{}`, `{"workflow_job_runs":null}`},
	"repository_ruleset":        {`{"action":"edited","repository_ruleset":{"id":1},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":1}}`, `{"action":"created","organization":{"login":"o"}}`},
	"branch_protection_rule":    {`{"action":"deleted","rule":{"name":"main"},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":1}}`, `{"repository":null}`},
	"repository":                {`{"action":"edited","changes":{"default_branch":{"from":"master"}},"repository":{"name":"r","owner":{"login":"o"}},"installation":{"id":1}}`, `{"action":"edited","changes":{}}`, `{"action":"renamed"}`},
	"deployment_protection_rule": {`{"action":"requested","environment":"prod","event":"push","deployment_callback_url":"https://api.github.com/repos/o/r/actions/runs/1/deployment_protection_rule"}`,
		`{"action":"other"}`, `{}`},
}

func eventTypes() []string {
	var out []string
	for _, h := range allHandlers(&Base{}) {
		out = append(out, h.Handles()...)
	}
	return out
}

func handlerFor(b *Base, event string) eventHandler {
	for _, h := range allHandlers(b) {
		if slices.Contains(h.Handles(), event) {
			return h
		}
	}
	return nil
}

func runHandler(t *testing.T, b *Base, event string, payload []byte) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("BUG: %s handler panicked: %v\npayload: %s", event, r, payload)
		}
	}()
	ctx, _ := WithWork(context.Background())
	return handlerFor(b, event).Handle(ctx, event, "delivery-1", payload)
}

// TestHandlersSeedsUnit runs every seed once: the fuzz corpus must itself be handled.
func TestHandlersSeedsUnit(t *testing.T) {
	b := fuzzBase(t)
	for _, event := range eventTypes() {
		seeds, ok := handlerSeeds[event]
		if !ok {
			t.Errorf("no seeds for %s", event)
		}
		for _, s := range append(seeds, "", "null", "[]", "{", `{"action":1}`) {
			if needsEvaluator(event, []byte(s)) {
				continue
			}
			_ = runHandler(t, b, event, []byte(s))
		}
	}
}

func FuzzHandlers(f *testing.F) {
	events := eventTypes()
	for i, e := range events {
		for _, s := range handlerSeeds[e] {
			f.Add(uint8(i), []byte(s))
		}
		f.Add(uint8(i), []byte("null"))
	}
	b := fuzzBase(f)
	f.Fuzz(func(t *testing.T, which uint8, payload []byte) {
		event := events[int(which)%len(events)]
		if needsEvaluator(event, payload) {
			t.Skip("needs an Evaluator or a Gate")
		}
		_ = runHandler(t, b, event, payload)
	})
}
