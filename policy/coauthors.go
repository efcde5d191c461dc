package policy

import "strings"

// EvidenceUnresolvedCoAuthor lists a Co-authored-by trailer that names no known account.
const EvidenceUnresolvedCoAuthor = "unresolved_co_author"

// sameLogin compares GitHub logins, which are case-insensitive: "BOB" from a noreply
// e-mail is bob.
func sameLogin(a, b string) bool { return strings.EqualFold(a, b) }

func containsLogin(list []string, login string) bool {
	for _, s := range list {
		if sameLogin(s, login) {
			return true
		}
	}
	return false
}

// user returns the facts of login, whatever the case of the key.
func (e *evaluator) user(login string) (User, bool) {
	if u, ok := e.f.Users[login]; ok {
		return u, true
	}
	for k, u := range e.f.Users {
		if sameLogin(k, login) {
			return u, true
		}
	}
	return User{}, false
}

// couldBe says whether the unresolved trailer u could name reviewer login. It fails closed:
// only a reviewer whose public profile has both a name and an e-mail, neither of which is
// the trailer's, and whose login is neither the trailer's name nor its e-mail's local part,
// is ruled out. Everyone else could have written it.
func couldBe(u *UnresolvedCoAuthor, login string, usr User) bool {
	name := strings.TrimSpace(u.Name)
	local, _, _ := strings.Cut(u.Email, "@")
	switch {
	case sameLogin(name, login), local != "" && sameLogin(local, login):
		return true
	case usr.Email != "" && strings.EqualFold(strings.TrimSpace(usr.Email), strings.TrimSpace(u.Email)):
		return true
	case usr.Name != "" && strings.EqualFold(strings.TrimSpace(usr.Name), name):
		return true
	}
	return usr.Name == "" || usr.Email == ""
}

// trailerText renders a trailer for evidence.
func trailerText(u *UnresolvedCoAuthor) string {
	return "Co-authored-by: " + u.Name + " <" + u.Email + "> on " + short(u.Commit)
}

// unresolvedEvidence lists every unresolved trailer, so the developer and the auditor see
// that someone was credited whom foureyes could not identify.
func (e *evaluator) unresolvedEvidence() []Evidence {
	out := make([]Evidence, 0, len(e.f.UnresolvedCoAuthors))
	for i := range e.f.UnresolvedCoAuthors {
		u := &e.f.UnresolvedCoAuthors[i]
		out = append(out, Evidence{Kind: EvidenceUnresolvedCoAuthor, Subject: u.Email, SHA: u.Commit,
			Text: trailerText(u) + " matches no GitHub account"})
	}
	return out
}
