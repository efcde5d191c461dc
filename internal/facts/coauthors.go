package facts

import (
	"regexp"
	"strings"
)

// coAuthorLine matches a Co-authored-by trailer. It is deliberately lenient: any line of the
// message, any case of the key, any spacing. Git only treats the last paragraph as
// trailers, but for four-eyes a co-author wrongly recognised only excludes one more
// reviewer, while a co-author missed lets someone approve their own work.
var coAuthorLine = regexp.MustCompile(`(?i)^[ \t]*co-authored-by[ \t]*:[ \t]*(.*?)[ \t]*<([^<>]*)>[ \t]*$`)

// loginSyntax is GitHub's login syntax: alphanumerics and single hyphens, at most 39
// characters (older accounts may end in a hyphen or hold two in a row, so hyphens are not
// constrained further); bots end in "[bot]".
var loginSyntax = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}(\[bot\])?$`)

// isLogin says whether s can be a GitHub login. Only such names are ever put into an API
// path: co-author names come from commit messages, which anyone can write.
func isLogin(s string) bool { return loginSyntax.MatchString(s) }

// CoAuthor is one Co-authored-by trailer as written.
type CoAuthor struct {
	Name  string
	Email string
}

// ParseCoAuthors returns the Co-authored-by trailers of a commit message, in order, without
// duplicates (same e-mail, case-insensitive).
func ParseCoAuthors(message string) []CoAuthor {
	var out []CoAuthor
	seen := map[string]bool{}
	for _, line := range strings.Split(message, "\n") {
		m := coAuthorLine.FindStringSubmatch(strings.TrimSuffix(line, "\r"))
		if m == nil {
			continue
		}
		name := strings.TrimSpace(m[1])
		email := strings.TrimSpace(m[2])
		if name == "" && email == "" {
			continue
		}
		key := strings.ToLower(email)
		if key == "" {
			key = "name:" + name
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, CoAuthor{Name: name, Email: email})
	}
	return out
}

// noreplyDomain is the domain of GitHub's private commit e-mails: "ID+login@" since 2017,
// "login@" before.
const noreplyDomain = "@users.noreply.github.com"

// noreplyLogin returns the login encoded in a GitHub noreply e-mail.
func noreplyLogin(email string) (string, bool) {
	lower := strings.ToLower(email)
	if !strings.HasSuffix(lower, noreplyDomain) {
		return "", false
	}
	local := email[:len(email)-len(noreplyDomain)]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		id := local[:i]
		if id == "" || strings.Trim(id, "0123456789") != "" {
			return "", false
		}
		local = local[i+1:]
	}
	if !isLogin(local) {
		return "", false
	}
	return local, true
}

// ResolveCoAuthor names a co-author by GitHub login where that can be known without another
// request (resolveLogin); otherwise the name is kept as written (the e-mail when there is
// no name), which records in the evidence who was credited. Such a trailer is also listed
// in Facts.UnresolvedCoAuthors unless a reviewer's public profile resolves it
// (resolveTrailers): the policy then fails closed for every reviewer it could be.
func ResolveCoAuthor(c CoAuthor, emailLogins map[string]string) string {
	if login, ok := resolveLogin(c, emailLogins); ok {
		return login
	}
	if c.Name != "" {
		return c.Name
	}
	return c.Email
}

// resolveLogin finds the account of a trailer from a noreply e-mail ("1234+BOB@" names
// BOB, which the policy compares case-insensitively with bob), or from the same e-mail
// used as a commit author or committer e-mail in this PR that GitHub mapped to a login
// (emailLogins, keys lower case).
func resolveLogin(c CoAuthor, emailLogins map[string]string) (string, bool) {
	if login, ok := noreplyLogin(c.Email); ok {
		return login, true
	}
	if login := emailLogins[strings.ToLower(c.Email)]; login != "" && c.Email != "" {
		return login, true
	}
	return "", false
}
