package policy

import (
	"strings"
	"testing"
)

// emergencyPolicy requires one approval and the build check; incident commanders may
// declare an emergency with an INC reference.
func emergencyPolicy(extra string) string {
	return rulePolicy("    approvals: {count: 1}\n    checks: [build]\n    ticket: {pattern: 'PAY-[0-9]+'}\n" +
		"    emergency:\n      declared_by: {teams: [acme/ic]}\n      ticket: {pattern: 'INC-[0-9]+'}\n      review_within: 72h\n" + extra)
}

func declare(by, ref, head string) Declaration {
	return Declaration{By: by, At: "2026-11-20T03:00:00Z", Reference: ref, Reason: "prod down", HeadSHA: head, CommentID: 7}
}

func TestEmergencyDeclarations(t *testing.T) {
	green := run(1, "build", "github-actions", "completed", "success", "03:01:00")
	red := run(1, "build", "github-actions", "completed", "failure", "03:01:00")
	tests := []struct {
		name    string
		policy  string
		facts   func(*Facts)
		want    Outcome
		status  string // of the last declaration
		texts   []string
		titleIs string
	}{
		{name: "allowed declarer with green checks passes", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ivan", "INC-4711", sha3)}
				f.Checks = []Check{green}
			},
			want: OutcomePass, status: DeclarationAccepted,
			texts:   []string{"waived: emergency change INC-4711 declared by ivan: independent review due by 2026-11-23T03:00:00Z"},
			titleIs: "emergency change INC-4711 declared by ivan: independent review due by 2026-11-23T03:00:00Z"},
		{name: "failed check still fails", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ivan", "INC-4711", sha3)}
				f.Checks = []Check{red}
			},
			want: OutcomeFail, status: DeclarationAccepted},
		{name: "ticket listed in still_required still applies", policy: emergencyPolicy("      still_required: [checks, ticket]\n"),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ivan", "INC-4711", sha3)}
				f.Checks = []Check{green}
				f.PullRequest.Title = "hotfix"
			},
			want: OutcomeFail, status: DeclarationAccepted, texts: []string{"no ticket reference matching PAY-[0-9]+"}},
		{name: "ticket waived by default", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ivan", "INC-4711", sha3)}
				f.Checks = []Check{green}
				f.PullRequest.Title = "hotfix"
			},
			want: OutcomePass, status: DeclarationAccepted},
		{name: "not in the declaring team is refused", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("bob", "INC-4711", sha3)}
				f.Checks = []Check{green}
			},
			want: OutcomePending, status: DeclarationRefused, texts: []string{"bob is not in acme/ic (who may declare an emergency"}},
		{name: "author without allow_author is refused", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("alice", "INC-4711", sha3)}
				f.Checks = []Check{green}
			},
			want: OutcomePending, status: DeclarationRefused, texts: []string{"alice is the author of the pull request"}},
		{name: "author with allow_author is accepted and flagged", policy: emergencyPolicy("      allow_author: true\n"),
			facts: func(f *Facts) {
				f.Users["alice"] = User{Permission: "write", Teams: []string{"acme/ic"}}
				f.Emergency = []Declaration{declare("alice", "INC-4711", sha3)}
				f.Checks = []Check{green}
			},
			want: OutcomePass, status: DeclarationAccepted, texts: []string{"(declared by the author)"}},
		{name: "no reference is refused", policy: emergencyPolicy(""),
			facts: func(f *Facts) { f.Emergency = []Declaration{declare("ivan", "", sha3)}; f.Checks = []Check{green} },
			want:  OutcomePending, status: DeclarationRefused, texts: []string{"an incident reference is required"}},
		{name: "reference not matching the pattern is refused", policy: emergencyPolicy(""),
			facts: func(f *Facts) { f.Emergency = []Declaration{declare("ivan", "PAY-1", sha3)}; f.Checks = []Check{green} },
			want:  OutcomePending, status: DeclarationRefused, texts: []string{"reference PAY-1 does not match INC-[0-9]+"}},
		{name: "rule without emergency section refuses", policy: rulePolicy("    approvals: {count: 1}\n"),
			facts: func(f *Facts) { f.Emergency = []Declaration{declare("ivan", "INC-4711", sha3)} },
			want:  OutcomePending, status: DeclarationRefused, texts: []string{"has no emergency section"}},
		{name: "push after declaration needs a new one", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ivan", "INC-4711", sha2)}
				f.Checks = []Check{green}
			},
			want: OutcomePending, status: DeclarationSuperseded, texts: []string{"a push after a declaration needs a new declaration"}},
		{name: "declarer identified case-insensitively as the author", policy: emergencyPolicy(""),
			facts: func(f *Facts) {
				f.Emergency = []Declaration{declare("ALICE", "INC-4711", sha3)}
				f.Checks = []Check{green}
			},
			want: OutcomePending, status: DeclarationRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.policy)
			f := baseFacts()
			f.Users["ivan"] = User{Permission: "write", Teams: []string{"acme/ic"}}
			if tt.facts != nil {
				tt.facts(&f)
			}
			d := Evaluate(p, f)
			if d.Outcome != tt.want {
				t.Fatalf("outcome %s, want %s: %s", d.Outcome, tt.want, d.JSON())
			}
			if d.Emergency == nil || len(d.Emergency.Declarations) == 0 {
				t.Fatalf("decision records no declaration: %s", d.JSON())
			}
			last := d.Emergency.Declarations[len(d.Emergency.Declarations)-1]
			if last.Status != tt.status {
				t.Fatalf("declaration %s (%s), want %s", last.Status, last.Explanation, tt.status)
			}
			js := string(d.JSON())
			for _, s := range tt.texts {
				if !strings.Contains(js, s) {
					t.Errorf("decision lacks %q: %s", s, js)
				}
			}
			if tt.titleIs != "" && d.Title != tt.titleIs {
				t.Errorf("title %q, want %q", d.Title, tt.titleIs)
			}
			if again := Evaluate(p, f); string(again.JSON()) != js {
				t.Error("decision is not deterministic")
			}
		})
	}
}

func TestNoDeclarationLeavesDecisionUnchanged(t *testing.T) {
	p := mustParse(t, emergencyPolicy(""))
	d := Evaluate(p, baseFacts())
	if d.Emergency != nil || strings.Contains(string(d.JSON()), "emergency\"") {
		t.Fatalf("a decision without declarations mentions emergencies: %s", d.JSON())
	}
}

func TestDeclarerIsRelevantUser(t *testing.T) {
	p := mustParse(t, emergencyPolicy(""))
	f := baseFacts()
	f.Emergency = []Declaration{declare("ivan", "INC-1", sha3), declare("zed", "INC-2", sha1)}
	got := p.RelevantUsers(f)
	if !contains(got, "ivan") || contains(got, "zed") {
		t.Fatalf("relevant users %v: want the declarer on the head (ivan), not on an old head (zed)", got)
	}
	if teams := p.Teams(); !contains(teams, "acme/ic") {
		t.Fatalf("teams %v lack the declaring team", teams)
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

func TestParseEmergencyCommand(t *testing.T) {
	tests := []struct {
		body     string
		ok       bool
		ref, why string
	}{
		{"/foureyes emergency INC-4711 payments down", true, "INC-4711", "payments down"},
		{"  \n/foureyes emergency INC-1\nsecond line", true, "INC-1", "second line"},
		{"/foureyes emergency", true, "", ""},
		{"/foureyes emergencyX INC-1", false, "", ""},
		{"please /foureyes emergency INC-1", false, "", ""},
		{"LGTM", false, "", ""},
	}
	for _, tt := range tests {
		c, ok := ParseEmergencyCommand(tt.body)
		if ok != tt.ok || c.Reference != tt.ref || c.Reason != tt.why {
			t.Errorf("ParseEmergencyCommand(%q) = %+v, %v; want %q %q %v", tt.body, c, ok, tt.ref, tt.why, tt.ok)
		}
	}
}

func FuzzParseEmergencyCommand(f *testing.F) {
	f.Add("/foureyes emergency INC-4711 payments down")
	f.Add("/foureyes emergency \xff\xfe")
	f.Fuzz(func(t *testing.T, body string) {
		c, ok := ParseEmergencyCommand(body)
		if !ok {
			return
		}
		if len(c.Reference) > maxReferenceLen || len(c.Reason) > maxReasonLen || strings.ContainsAny(c.Reference, " \n") {
			t.Fatalf("unbounded or unsplit command: %+v", c)
		}
	})
}

func TestEmergencyParseErrors(t *testing.T) {
	tests := []struct{ section, want string }{
		{"      review_within: soon\n", "emergency.review_within must be a duration"},
		{"      review_within: -1h\n", "emergency.review_within must be positive"},
		{"      still_required: [approvals]\n", "unknown emergency.still_required value \"approvals\""},
		{"      declared_by: {teams: [ic]}\n", "must be in org/slug form"},
		{"      ticket: {pattern: '[INC'}\n", "bad regular expression in emergency.ticket.pattern"},
		{"      allow_author: maybe\n", "allow_author must be true or false"},
		{"      reviewers: x\n", "unknown key \"reviewers\" in emergency"},
	}
	for _, tt := range tests {
		src := rulePolicy("    approvals: {}\n    emergency:\n" + tt.section)
		_, err := Parse("p.yml", []byte(src))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "p.yml:") {
			t.Errorf("%q: error %v, want one with %q at a position", tt.section, err, tt.want)
		}
	}
}

func TestDeploymentAllowEmergency(t *testing.T) {
	facts := DeploymentFacts{Environment: "production", SHA: sha3, Deployer: "dave",
		PullRequests: []DeployedPR{{Number: 1, Author: "alice", Merged: true, MergeOutcome: "pass", MergedHeadSHA: sha3, EvaluatedFresh: true, Emergency: "INC-4711", MergeCommitSHA: sha3}}}
	for _, tt := range []struct {
		require string
		want    DeploymentState
	}{
		{"{approved_change: true}", DeploymentRejected},
		{"{approved_change: true, allow_emergency: true}", DeploymentApproved},
		{"{approved_change: {allow_emergency: true}}", DeploymentApproved},
	} {
		p := mustParse(t, "version: 1\ndeployments:\n  - environments: [production]\n    require: "+tt.require+"\n")
		d := EvaluateDeployment(p, facts)
		if d.State != tt.want {
			t.Errorf("require %s: %s (%s), want %s", tt.require, d.State, d.Reason, tt.want)
		}
	}
	if _, err := Parse("p.yml", []byte("version: 1\ndeployments:\n  - environments: [production]\n    require: {allow_emergency: true, checks: [build]}\n")); err == nil {
		t.Error("allow_emergency without approved_change parsed")
	}
}

func TestReviewAfterEmergency(t *testing.T) {
	p := mustParse(t, emergencyPolicy(""))
	for _, tt := range []struct {
		name    string
		reviews []Review
		closed  bool
		want    string
	}{
		{"independent approval closes", []Review{rev(1, "bob", "APPROVED", sha3, "12:00:00")}, true, "independently reviewed after the fact by bob"},
		{"author approval does not", []Review{rev(1, "alice", "APPROVED", sha3, "12:00:00")}, false, "needs 1 approval"},
		{"pusher approval does not", []Review{rev(1, "dave", "APPROVED", sha3, "12:00:00")}, false, "needs 1 approval"},
		{"approval of an older head does not", []Review{rev(1, "bob", "APPROVED", sha1, "12:00:00")}, false, "needs 1 approval"},
		{"no review", nil, false, "needs 1 approval"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := baseFacts()
			f.Reviews = tt.reviews
			got := ReviewAfterEmergency(p, f, []string{"r"})
			if got.Closed != tt.closed || !strings.Contains(got.Reason, tt.want) {
				t.Fatalf("closed %v (%s), want %v with %q", got.Closed, got.Reason, tt.closed, tt.want)
			}
		})
	}
	if got := ReviewAfterEmergency(p, baseFacts(), nil); got.Closed {
		t.Fatal("nothing waived must not close an obligation")
	}
}
