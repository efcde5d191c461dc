package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/foureyes/foureyes/policy"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n%s", name, got)
	}
}

func parse(t *testing.T, name string) *policy.Policy {
	t.Helper()
	data, err := os.ReadFile("../../testdata/policies/" + name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := policy.Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// decisions are read back from the policy package's golden Decision JSON, so the
// report is tested on exactly what the engine produces.
func decision(t *testing.T, name string) policy.Decision {
	t.Helper()
	data, err := os.ReadFile("../../testdata/golden/decision-" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var d policy.Decision
	if err := jsonUnmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestCheckRunGolden(t *testing.T) {
	tests := []struct {
		name       string
		conclusion string
	}{
		{"approved", "success"},
		{"docs-only", "neutral"},
		{"draft", ""},
		{"hard-cases", ""},
		{"truncated", "failure"},
		{"error", "failure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := decision(t, tc.name)
			o := CheckRun(d)
			if o.Conclusion != tc.conclusion {
				t.Errorf("conclusion %q, want %q", o.Conclusion, tc.conclusion)
			}
			if o.Title != d.Title || strings.Contains(o.Title, "\n") {
				t.Errorf("title %q", o.Title)
			}
			md := Markdown(d)
			if !strings.HasPrefix(md, "## "+o.Title+"\n\n"+o.Summary) || !strings.HasSuffix(md, o.Text) {
				t.Errorf("Markdown is not title + summary + text")
			}
			golden(t, "checkrun-"+tc.name+".md", []byte(md))
		})
	}
}

func TestNeutralWhenNoRuleApplies(t *testing.T) {
	d := policy.Evaluate(parse(t, "valid-empty-rules.yml"), policy.Facts{})
	if o := CheckRun(d); o.Conclusion != "neutral" || o.Title != "no rule applies to this change" {
		t.Errorf("output %+v", o)
	}
}

func TestEvidenceInText(t *testing.T) {
	o := CheckRun(decision(t, "hard-cases"))
	for _, want := range []string{
		"✅ hank approved h300000",
		"🚫 carol co-authored h100000",
		"🚫 dave pushed h300000 at 10:02",
		"🚫 bob approved h200000, head is h300000",
		"🚫 erin is not in acme/payments-reviewers",
		"🚫 build from circleci ignored: must come from github-actions",
		"✅ ci/legacy: success (status by jenkins-bot)",
	} {
		if !strings.Contains(o.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, o.Text)
		}
	}
	if !strings.Contains(o.Summary, "| reviewed by payments | approvals | ⏳ pending | needs 1 more approval from acme/payments-reviewers |") {
		t.Errorf("summary row missing:\n%s", o.Summary)
	}
}

func TestUserTextCannotBreakTheTable(t *testing.T) {
	d := policy.Decision{Outcome: policy.OutcomeFail, Title: "x", Rules: []policy.RuleResult{{Name: "a|b\nc", Status: policy.StatusFail,
		Requirements: []policy.RequirementResult{{Kind: "ticket", Status: policy.StatusFail, Reason: "no <b>ticket</b> | here"}}}}}
	s := CheckRun(d).Summary
	if !strings.Contains(s, `| a\|b | ticket | ❌ fail | no &lt;b&gt;ticket&lt;/b&gt; \| here |`) {
		t.Errorf("summary:\n%s", s)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{strings.Repeat("a", 30), 20, "aaaa\n… (truncated)"},
		{strings.Repeat("é", 20), 21, "éé\n… (truncated)"}, // cut lands inside a rune and backs up
		{"abcdef", 3, "abc"},
		{"abcdef", 0, ""},
	}
	for _, tc := range tests {
		got := truncate(tc.in, tc.n)
		if got != tc.want || len(got) > tc.n || !utf8.ValidString(got) {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
	big := policy.Decision{Outcome: policy.OutcomePending, Title: "t", Rules: []policy.RuleResult{{Name: "r", Status: policy.StatusPending,
		Requirements: []policy.RequirementResult{{Kind: "approvals", Status: policy.StatusPending, Reason: "x"}}}}}
	for i := 0; i < 5000; i++ {
		big.Rules[0].Requirements[0].Evidence = append(big.Rules[0].Requirements[0].Evidence,
			policy.Evidence{Kind: policy.EvidenceNotCounted, Text: "ünïcödé reviewer number ünïcödé"})
	}
	o := CheckRun(big)
	if len(o.Text) > MaxOutput || !utf8.ValidString(o.Text) || !strings.HasSuffix(o.Text, "(truncated)") {
		t.Errorf("text of %d bytes not truncated properly", len(o.Text))
	}
}

func TestAnnotations(t *testing.T) {
	data, _ := os.ReadFile("../../testdata/policies/broken-many.yml")
	_, err := policy.Parse(".github/foureyes.yml", data)
	errs := err.(policy.Errors)
	got := Annotations(errs)
	if len(got) != len(errs) {
		t.Fatalf("%d annotations for %d errors", len(got), len(errs))
	}
	want := Annotation{Path: ".github/foureyes.yml", StartLine: 6, EndLine: 6, Level: "failure", Message: "count must be at least 1, got 0"}
	if got[2] != want {
		t.Errorf("annotation %+v, want %+v", got[2], want)
	}
	many := make(policy.Errors, 80)
	if n := len(Annotations(many)); n != MaxAnnotations {
		t.Errorf("%d annotations, want the %d GitHub accepts", n, MaxAnnotations)
	}
}

func TestDeploymentComment(t *testing.T) {
	for _, tc := range []struct{ name, contains string }{
		{"approved", "foureyes approved deployment to production"},
		{"rejected", "carol co-authored #42"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile("../../testdata/golden/deployment-" + tc.name + ".json")
			if err != nil {
				t.Fatal(err)
			}
			var d policy.DeploymentDecision
			if err := jsonUnmarshal(data, &d); err != nil {
				t.Fatal(err)
			}
			c := DeploymentComment(d, "https://foureyes.acme.test/evidence/1")
			if len(c) > MaxDeploymentComment || !strings.Contains(c, tc.contains) || !strings.HasSuffix(c, "Evidence: https://foureyes.acme.test/evidence/1") {
				t.Errorf("comment (%d bytes):\n%s", len(c), c)
			}
			golden(t, "deployment-comment-"+tc.name+".txt", []byte(c))
		})
	}
	long := policy.DeploymentDecision{State: policy.DeploymentRejected, Environment: "production", Reason: strings.Repeat("x", 3000)}
	if c := DeploymentComment(long, "https://e/1"); len(c) > MaxDeploymentComment || !utf8.ValidString(c) {
		t.Errorf("long comment is %d bytes", len(c))
	}
	if c := DeploymentComment(long, strings.Repeat("u", 2000)); len(c) > MaxDeploymentComment {
		t.Errorf("comment with a long URL is %d bytes", len(c))
	}
}

// Rego requirements show their deny and pending messages and the evidence a module
// attached, escaped like everything a policy author controls.
func TestRegoEvidenceInCheckRun(t *testing.T) {
	d := policy.Decision{Outcome: policy.OutcomeFail, Title: "t", Rules: []policy.RuleResult{{Name: "r", Status: policy.StatusFail, Reason: "x",
		Requirements: []policy.RequirementResult{{Kind: policy.KindRego, Status: policy.StatusFail, Reason: "needs a <b>Change</b>", Evidence: []policy.Evidence{
			{Kind: policy.EvidenceRegoDeny, Subject: "data.p", Text: "needs a <b>Change</b>"},
			{Kind: policy.EvidenceRego, Subject: "PAY-88", Text: "PAY-88 is a Story"},
		}}}}}}
	text := Markdown(d)
	for _, want := range []string{"**rego**: ", "- ❌ needs a &lt;b&gt;Change&lt;/b&gt;", "- ↳ PAY-88: PAY-88 is a Story"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in\n%s", want, text)
		}
	}
}
