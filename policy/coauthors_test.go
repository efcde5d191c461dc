package policy

import (
	"strings"
	"testing"
)

// TestCoAuthorTrailerResolvesCaseInsensitively and the unresolved-trailer rule: logins
// compare case-insensitively everywhere, and a trailer that names no account excludes
// every reviewer it could be.
func TestCoAuthorTrailerResolvesCaseInsensitively(t *testing.T) {
	bobOnHead := []Review{rev(1, "bob", "APPROVED", sha3, "11:00:00")}
	unresolved := []UnresolvedCoAuthor{{Commit: sha1, Name: "Bob Builder", Email: "bob@acme.example"}}
	tests := []struct {
		name   string
		policy string
		facts  func(*Facts)
		want   Outcome
		text   string
	}{
		{name: "co-author login in another case", policy: approve1, facts: func(f *Facts) {
			f.Commits[0].CoAuthors = []string{"BOB"}
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob co-authored a100000"},
		{name: "commit author in another case", policy: approve1, facts: func(f *Facts) {
			f.Commits[0].CoAuthors = nil
			f.Commits[2].Author = "Bob"
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob authored a300000"},
		{name: "pusher in another case", policy: approve1, facts: func(f *Facts) {
			f.Pushes[1].Pusher = "BOB"
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob pushed"},
		{name: "PR author in another case", policy: rulePolicy("    approvals:\n      independent_of: []\n"), facts: func(f *Facts) {
			f.PullRequest.Author = "Bob"
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob is the author"},
		{name: "from.users in another case", policy: rulePolicy("    approvals:\n      from: {users: [BOB]}\n"), facts: func(f *Facts) {
			f.Reviews = bobOnHead
		}, want: OutcomePass},
		{name: "unresolved trailer, reviewer without public profile: could be", policy: approve1, facts: func(f *Facts) {
			f.UnresolvedCoAuthors = unresolved
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob could be the co-author of Co-authored-by: Bob Builder <bob@acme.example> on a100000"},
		{name: "unresolved trailer, profile rules the reviewer out", policy: approve1, facts: func(f *Facts) {
			f.UnresolvedCoAuthors = []UnresolvedCoAuthor{{Commit: sha1, Name: "Zed Zee", Email: "zed@elsewhere.example"}}
			u := f.Users["bob"]
			u.Name, u.Email = "Robert B", "robert@acme.example"
			f.Users["bob"] = u
			f.Reviews = bobOnHead
		}, want: OutcomePass, text: "Co-authored-by: Zed Zee <zed@elsewhere.example> on a100000 matches no GitHub account"},
		{name: "unresolved trailer, e-mail local part is the login", policy: approve1, facts: func(f *Facts) {
			f.UnresolvedCoAuthors = unresolved
			u := f.Users["bob"]
			u.Name, u.Email = "Robert B", "robert@acme.example"
			f.Users["bob"] = u
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob could be the co-author"},
		{name: "unresolved trailer, public name matches", policy: approve1, facts: func(f *Facts) {
			f.UnresolvedCoAuthors = []UnresolvedCoAuthor{{Commit: sha1, Name: "robert b", Email: "rb@home.example"}}
			u := f.Users["bob"]
			u.Name, u.Email = "Robert B", "robert@acme.example"
			f.Users["bob"] = u
			f.Reviews = bobOnHead
		}, want: OutcomePending, text: "bob could be the co-author"},
		{name: "unresolved trailer ignored without co_authors independence", policy: rulePolicy("    approvals:\n      independent_of: [committers, pushers]\n"), facts: func(f *Facts) {
			f.UnresolvedCoAuthors = unresolved
			f.Reviews = bobOnHead
		}, want: OutcomePass, text: "matches no GitHub account"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := baseFacts()
			f.Pushes[1].Pusher = "dave"
			if tc.facts != nil {
				tc.facts(&f)
			}
			d := Evaluate(mustParse(t, tc.policy), f)
			txt := allText(d)
			if d.Outcome != tc.want {
				t.Fatalf("outcome %s, want %s:\n%s", d.Outcome, tc.want, txt)
			}
			if tc.text != "" && !strings.Contains(txt, tc.text) {
				t.Errorf("want %q in:\n%s", tc.text, txt)
			}
		})
	}
}
