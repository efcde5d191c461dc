package policy

import (
	"reflect"
	"strings"
	"testing"
)

const verifyPolicy = `version: 1
rules:
  - name: change ticket
    ticket:
      pattern: '[A-Z][A-Z0-9]+-[0-9]+'
      in: [title, branch]
      verify:
        system: jira
        statuses: [Approved, "In Progress"]
        approved: true
        independent_approver: true
`

// approvedPAY12 is PAY-12 approved by dana (not part of the change) at 10:02.
func approvedPAY12() TicketSnapshot {
	return TicketSnapshot{Key: "PAY-12", System: SystemJira, Read: TicketReadOK, Status: "Approved", StatusCategory: "indeterminate",
		ReadAt: "2026-11-20T11:00:00Z", Digest: "sha256:ab",
		Approvals: []TicketApproval{{Name: "CAB", Decision: "approved", CreatedAt: "2026-11-20T09:00:00Z", CompletedAt: "2026-11-20T10:02:00Z",
			Approvers: []TicketApprover{{Name: "Dana", Email: "dana@acme.example", Login: "dana", Decision: "approved", At: "2026-11-20T10:02:00Z"}}}}}
}

func TestTicketVerify(t *testing.T) {
	p := mustParse(t, verifyPolicy)
	tests := []struct {
		name   string
		change func(*Facts, *TicketSnapshot)
		status Status
		reason string
	}{
		{name: "verified", status: StatusPass, reason: "PAY-12 is Approved, approved by dana at 2026-11-20 10:02"},
		{name: "approver without a login is named", change: func(_ *Facts, s *TicketSnapshot) { s.Approvals[0].Approvers[0].Login = "" },
			status: StatusPass, reason: "PAY-12 is Approved, approved by Dana at 2026-11-20 10:02"},
		{name: "status category allowed", change: func(_ *Facts, s *TicketSnapshot) { s.Status = "Implementing" },
			status: StatusFail, reason: "PAY-12 is Implementing, not Approved or In Progress"},
		{name: "status case-insensitive", change: func(_ *Facts, s *TicketSnapshot) { s.Status = "in progress" }, status: StatusPass},
		{name: "missing ticket", change: func(_ *Facts, s *TicketSnapshot) {
			*s = TicketSnapshot{Key: "PAY-12", System: SystemJira, Read: TicketReadNotFound}
		},
			status: StatusFail, reason: "PAY-12 does not exist in Jira"},
		{name: "not approved", change: func(_ *Facts, s *TicketSnapshot) { s.Approvals[0].Decision = "pending" },
			status: StatusFail, reason: "PAY-12 is not approved (pending)"},
		{name: "declined", change: func(_ *Facts, s *TicketSnapshot) { s.Approvals[0].Decision = "declined" },
			status: StatusFail, reason: "PAY-12 is not approved (declined)"},
		{name: "no approval step", change: func(_ *Facts, s *TicketSnapshot) { s.Approvals = nil },
			status: StatusFail, reason: "PAY-12 has no approval in Jira"},
		{name: "re-requested after a decline: the newest step decides", change: func(_ *Facts, s *TicketSnapshot) {
			s.Approvals = append([]TicketApproval{{Decision: "declined", CreatedAt: "2026-11-19T09:00:00Z"}}, s.Approvals...)
		}, status: StatusPass},
		{name: "newer pending step after an approval", change: func(_ *Facts, s *TicketSnapshot) {
			s.Approvals = append(s.Approvals, TicketApproval{Decision: "pending", CreatedAt: "2026-11-20T12:00:00Z"})
		}, status: StatusFail, reason: "PAY-12 is not approved (pending)"},
		{name: "approved by the PR author (login through tickets.users)", change: func(_ *Facts, s *TicketSnapshot) {
			s.Approvals[0].Approvers[0].Login = "alice"
		}, status: StatusFail, reason: "PAY-12 was approved by alice, who is the author of the pull request"},
		{name: "approved by a commit author, matched by e-mail", change: func(f *Facts, s *TicketSnapshot) {
			f.Commits[1].AuthorEmail = "Dana@Acme.example"
			s.Approvals[0].Approvers[0].Login = ""
		}, status: StatusFail, reason: "PAY-12 was approved by Dana, who authored commits of this change"},
		{name: "approved by a committer", change: func(f *Facts, s *TicketSnapshot) { f.Commits[0].Committer = "dana" },
			status: StatusFail, reason: "PAY-12 was approved by dana, who committed to this change"},
		{name: "approved by a co-author", change: func(f *Facts, s *TicketSnapshot) { f.Commits[0].CoAuthors = []string{"dana@acme.example"} },
			status: StatusFail, reason: "PAY-12 was approved by dana, who co-authored this change"},
		{name: "approved by a pusher", change: func(f *Facts, s *TicketSnapshot) { f.Pushes[0].Pusher = "dana" },
			status: StatusFail, reason: "PAY-12 was approved by dana, who pushed to this change"},
		{name: "an approver without e-mail or login cannot be shown independent", change: func(_ *Facts, s *TicketSnapshot) {
			s.Approvals[0].Approvers[0].Login, s.Approvals[0].Approvers[0].Email = "", ""
		}, status: StatusFail, reason: "PAY-12 was approved by Dana, who has no e-mail or GitHub login foureyes could compare with the authors"},
		{name: "an author who declined does not count", change: func(_ *Facts, s *TicketSnapshot) {
			s.Approvals[0].Approvers = append(s.Approvals[0].Approvers, TicketApprover{Login: "alice", Decision: "declined"})
		}, status: StatusPass},
		{name: "web-flow committer e-mail is nobody", change: func(f *Facts, s *TicketSnapshot) { f.Commits[1].CommitterEmail = "dana@acme.example" },
			status: StatusPass},
		{name: "Jira unreachable", change: func(_ *Facts, s *TicketSnapshot) {
			*s = TicketSnapshot{Key: "PAY-12", System: SystemJira, Read: TicketReadUnreachable, Error: "HTTP 503"}
		}, status: StatusPending, reason: "Jira unreachable, retrying"},
		{name: "not read", change: func(f *Facts, _ *TicketSnapshot) { f.Tickets = nil },
			status: StatusPending, reason: "PAY-12 has not been read from Jira yet"},
		{name: "read from another system", change: func(_ *Facts, s *TicketSnapshot) { s.System = SystemServiceNow },
			status: StatusPending, reason: "PAY-12 has not been read from Jira yet"},
		{name: "no reference", change: func(f *Facts, _ *TicketSnapshot) { f.PullRequest.Title = "fix" },
			status: StatusFail, reason: "no ticket reference matching [A-Z][A-Z0-9]+-[0-9]+ in title or branch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFacts()
			snap := approvedPAY12()
			if tc.change != nil {
				f.Tickets = map[string]TicketSnapshot{}
				tc.change(&f, &snap)
				if f.Tickets != nil {
					f.Tickets["PAY-12"] = snap
				}
			} else {
				f.Tickets = map[string]TicketSnapshot{"PAY-12": snap}
			}
			d := Evaluate(p, f)
			q := d.Rules[0].Requirements[0]
			if q.Kind != KindTicket || q.Status != tc.status {
				t.Fatalf("status %s (%s), want %s", q.Status, q.Reason, tc.status)
			}
			if tc.reason != "" && q.Reason != tc.reason {
				t.Errorf("reason %q, want %q", q.Reason, tc.reason)
			}
			if tc.status == StatusPending && d.Outcome == OutcomePass {
				t.Errorf("pending ticket gave a pass")
			}
		})
	}
}

func TestTicketVerifyEvidence(t *testing.T) {
	f := baseFacts()
	f.Tickets = map[string]TicketSnapshot{"PAY-12": approvedPAY12()}
	d := Evaluate(mustParse(t, verifyPolicy), f)
	if text := allText(d); !strings.Contains(text, "PAY-12 is Approved, approved by dana at 2026-11-20 10:02 (read 2026-11-20 11:00, sha256:ab)") {
		t.Errorf("evidence lacks the snapshot:\n%s", text)
	}
}

func TestTicketRefs(t *testing.T) {
	p := mustParse(t, verifyPolicy+`  - name: plain
    ticket: {pattern: 'OPS-[0-9]+'}
  - name: release only
    branches: ["release/**"]
    ticket: {pattern: 'CHG[0-9]{7}', verify: {system: servicenow}}
`)
	f := baseFacts()
	f.PullRequest.Title = "PAY-12 and OPS-1 and CHG0001234"
	got := p.TicketRefs(f)
	want := []TicketRef{{System: SystemJira, Key: "PAY-12"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("refs %v, want %v (plain patterns and rules that do not apply are not read)", got, want)
	}
	if got := (*Policy)(nil).TicketRefs(f); len(got) != 0 {
		t.Errorf("nil policy refs %v", got)
	}
}

func TestTicketVerifyParseErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown system", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {system: github}}\n",
			`p.yml:4:43: unknown ticket.verify.system "github" (allowed: jira, servicenow)`},
		{"no system", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {approved: true}}\n",
			"p.yml:4:34: ticket.verify has no system (jira or servicenow)"},
		{"unknown key", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {system: jira, approve: true}}\n",
			`p.yml:4:49: unknown key "approve" in ticket.verify (allowed: system, statuses, approved, independent_approver)`},
		{"approved not a bool", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {system: jira, approved: 'yes'}}\n",
			"p.yml:4:59: ticket.verify.approved must be true or false, got a string"},
		{"empty statuses", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {system: jira, statuses: []}}\n",
			"p.yml:4:59: ticket.verify.statuses must not be empty (omit it to allow any)"},
		{"status not a string", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: {system: jira, statuses: [1]}}\n",
			"p.yml:4:60: each item of ticket.verify.statuses must be a string, got an integer"},
		{"verify not a mapping", "version: 1\nrules:\n  - name: a\n    ticket: {pattern: x, verify: jira}\n",
			"p.yml:4:34: ticket.verify must be a mapping, got a string"},
		{"change_request unknown key", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {change_request: {system: servicenow, window: true}}\n",
			`p.yml:4:52: unknown key "window" in require.change_request (allowed: system, states, approved, within_window)`},
		{"change_request without system", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {change_request: {approved: true}}\n",
			"p.yml:4:31: change_request has no system (jira or servicenow)"},
		{"change_request bad system", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {change_request: {system: remedy}}\n",
			`p.yml:4:40: unknown change_request.system "remedy" (allowed: jira, servicenow)`},
		{"within_window not a bool", "version: 1\ndeployments:\n  - environments: [prod]\n    require: {change_request: {system: jira, within_window: 1}}\n",
			"p.yml:4:61: change_request.within_window must be true or false, got an integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("p.yml", []byte(tc.src))
			if err == nil {
				t.Fatal("parsed")
			}
			if first := strings.Split(err.Error(), "\n")[0]; first != tc.want {
				t.Errorf("error %q\nwant  %q", first, tc.want)
			}
		})
	}
}

func TestVerifyChangesTheDigest(t *testing.T) {
	plain := mustParse(t, "version: 1\nrules:\n  - name: change ticket\n    ticket:\n      pattern: '[A-Z][A-Z0-9]+-[0-9]+'\n      in: [title, branch]\n")
	verified := mustParse(t, verifyPolicy)
	if plain.Digest() == verified.Digest() {
		t.Error("adding ticket.verify did not change the policy digest")
	}
	loose := mustParse(t, strings.Replace(verifyPolicy, "approved: true", "approved: false", 1))
	if loose.Digest() == verified.Digest() {
		t.Error("approved: false has the digest of approved: true")
	}
}
