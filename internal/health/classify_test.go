package health

import (
	"encoding/json"
	"strings"
	"testing"
)

func rulesJSON(t *testing.T, s string) []Rule {
	t.Helper()
	rules, err := ParseRules([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

func TestClassify(t *testing.T) {
	const app = 1001
	pinned := `{"type":"required_status_checks","ruleset_id":1,"parameters":{"required_status_checks":[{"context":"foureyes","integration_id":1001}]}}`
	byName := `{"type":"required_status_checks","ruleset_id":2,"parameters":{"required_status_checks":[{"context":"foureyes"}]}}`
	otherApp := `{"type":"required_status_checks","ruleset_id":3,"parameters":{"required_status_checks":[{"context":"foureyes","integration_id":15368}]}}`
	otherCheck := `{"type":"required_status_checks","ruleset_id":4,"parameters":{"required_status_checks":[{"context":"build","integration_id":1001}]}}`
	prs := `{"type":"pull_request","ruleset_id":5,"parameters":{"required_approving_review_count":1}}`
	unknownTypes := `{"type":"merge_queue","ruleset_id":6,"parameters":{"check_response_timeout_minutes":60}},{"type":"copilot_code_review","ruleset_id":7},{"type":"deletion"}`
	id := func(n int64) *int64 { return &n }
	classic := func(checks map[string]*int64, contexts []string, prReviews bool) Protection {
		var p Protection
		if checks != nil || contexts != nil {
			p.RequiredStatusChecks = &struct {
				Contexts []string `json:"contexts"`
				Checks   []struct {
					Context string `json:"context"`
					AppID   *int64 `json:"app_id"`
				} `json:"checks"`
			}{Contexts: contexts}
			for c, a := range checks {
				p.RequiredStatusChecks.Checks = append(p.RequiredStatusChecks.Checks, struct {
					Context string `json:"context"`
					AppID   *int64 `json:"app_id"`
				}{c, a})
			}
		}
		if prReviews {
			raw := json.RawMessage(`{}`)
			p.RequiredPullRequestReviews = &raw
		}
		return p
	}
	for _, tc := range []struct {
		name    string
		rules   string
		classic Classic
		prot    Protection
		rerr    string
		want    State
		reason  string
	}{
		{name: "pinned ruleset with PRs", rules: "[" + pinned + "," + prs + "]", classic: ClassicNone, want: Enforced},
		{name: "unknown rule types are ignored", rules: "[" + unknownTypes + "," + pinned + "," + prs + "]", classic: ClassicForbidden, want: Enforced},
		{name: "required by name only", rules: "[" + byName + "," + prs + "]", classic: ClassicNone, want: Unpinned, reason: "by name only"},
		{name: "pinned to another app", rules: "[" + otherApp + "," + prs + "]", classic: ClassicNone, want: Unpinned},
		{name: "pinned but no PRs required", rules: "[" + pinned + "]", classic: ClassicNone, want: Missing, reason: "pull requests are not required"},
		{name: "another check only", rules: "[" + otherCheck + "," + prs + "]", classic: ClassicNone, want: Missing},
		{name: "no rules", rules: "[]", classic: ClassicNone, want: Missing, reason: "not required"},
		{name: "no rules, classic not readable", rules: "[]", classic: ClassicForbidden, want: Missing, reason: "classic branch protection not readable"},
		{name: "classic pinned with reviews", rules: "[]", classic: ClassicRead, prot: classic(map[string]*int64{"foureyes": id(app)}, []string{"foureyes"}, true), want: Enforced},
		{name: "classic any app", rules: "[]", classic: ClassicRead, prot: classic(map[string]*int64{"foureyes": id(-1)}, []string{"foureyes"}, true), want: Unpinned},
		{name: "classic contexts only", rules: "[]", classic: ClassicRead, prot: classic(nil, []string{"foureyes"}, true), want: Unpinned},
		{name: "classic check, PRs from ruleset", rules: "[" + prs + "]", classic: ClassicRead, prot: classic(map[string]*int64{"foureyes": id(app)}, nil, false), want: Enforced},
		{name: "rules unreadable", rerr: "404 Not Found", want: Unknown, reason: "could not be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Observation{Repository: "acme/pay", Branch: "main", CheckName: "foureyes", AppID: app, Classic: tc.classic, Protection: tc.prot, RulesError: tc.rerr}
			if tc.rerr == "" {
				o.Rules = rulesJSON(t, tc.rules)
			}
			got := Classify(o)
			if got.State != tc.want || !strings.Contains(got.Reason, tc.reason) {
				t.Errorf("got %+v, want %s (reason containing %q)", got, tc.want, tc.reason)
			}
		})
	}
}

func TestParseRulesRejectsBadCheckParameters(t *testing.T) {
	if _, err := ParseRules([]byte(`[{"type":"required_status_checks","parameters":{"required_status_checks":"foureyes"}}]`)); err == nil {
		t.Error("malformed required_status_checks parameters were accepted")
	}
	if _, err := ParseRules([]byte(`{"message":"Not Found"}`)); err == nil {
		t.Error("an object was accepted as a rules list")
	}
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"type":"required_status_checks","ruleset_source_type":"Organization","ruleset_source":"acme","ruleset_id":9,"parameters":{"strict_required_status_checks_policy":true,"required_status_checks":[{"context":"foureyes","integration_id":1001}]}}]`))
	f.Add([]byte(`[{"type":"merge_queue","parameters":{"grouping_strategy":"ALLGREEN"}},{"type":"pull_request","parameters":null}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rules, err := ParseRules(b)
		if err != nil {
			return
		}
		// Whatever parsed classifies without panicking, and never as enforced without a
		// pinned check.
		res := Classify(Observation{Branch: "main", CheckName: "foureyes", AppID: 1001, Rules: rules, Classic: ClassicNone})
		if res.State == Enforced {
			found := false
			for _, r := range rules {
				cs, _ := r.RequiredChecks()
				for _, c := range cs {
					found = found || (c.Context == "foureyes" && c.IntegrationID != nil && *c.IntegrationID == 1001)
				}
			}
			if !found {
				t.Fatalf("enforced without a pinned check: %s", b)
			}
		}
	})
}

func FuzzParseProtection(f *testing.F) {
	f.Add([]byte(`{"required_status_checks":{"strict":true,"contexts":["foureyes"],"checks":[{"context":"foureyes","app_id":1001}]},"required_pull_request_reviews":{"required_approving_review_count":1}}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProtection(b)
		if err != nil {
			return
		}
		_ = Classify(Observation{Branch: "main", CheckName: "foureyes", AppID: 1001, Classic: ClassicRead, Protection: p})
	})
}
