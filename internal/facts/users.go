package facts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// teamSlug is the syntax of a team slug; it keeps policy text out of API paths.
var teamSlug = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// PermissionNone is the permission of a user who has no access, or is unknown.
const PermissionNone = "none"

// standardRoles are the repository roles the policy knows, weakest first.
var standardRoles = map[string]bool{"read": true, "triage": true, "write": true, "maintain": true, "admin": true}

// users looks up the permission on owner/repo and the membership of each team in teams for
// every login, each answer cached for the TTL. A name that is not a GitHub login (a
// co-author kept as written) is never sent to GitHub: it gets "none" and no teams.
//
// cachedOnly reads nothing: a login whose permission or a membership is not cached is
// left out and added to st.UnknownUsers.
func (g *Gatherer) users(ctx context.Context, client *github.Client, owner, repo string, logins, teams []string, cachedOnly bool, st *Stats) (map[string]policy.User, error) {
	out := map[string]policy.User{}
	sortedTeams := append([]string(nil), teams...)
	sort.Strings(sortedTeams)
	for _, login := range dedupeSorted(logins) {
		u := policy.User{Permission: PermissionNone, Teams: []string{}}
		if !isLogin(login) {
			out[login] = u
			continue
		}
		if cachedOnly {
			if cu, ok := g.cachedUser(owner, repo, login, sortedTeams, st); ok {
				out[login] = cu
			} else {
				st.UnknownUsers = append(st.UnknownUsers, login)
			}
			continue
		}
		perm, err := g.permission(ctx, client, owner, repo, login, st)
		if err != nil {
			return nil, err
		}
		u.Permission = perm
		for _, team := range sortedTeams {
			ok, err := g.member(ctx, client, team, login, st)
			if err != nil {
				return nil, err
			}
			if ok {
				u.Teams = append(u.Teams, team)
			}
		}
		out[login] = u
	}
	return out, nil
}

// permissionKey and membershipKey are the cache keys of a permission and a team
// membership; ForgetUser drops both by their "\x00"+login suffix.
func permissionKey(owner, repo, login string) string { return owner + "/" + repo + "\x00" + login }
func membershipKey(team, login string) string        { return team + "\x00" + login }

// cachedUser is login's permission and teams from the caches alone; false when any
// answer is not cached.
func (g *Gatherer) cachedUser(owner, repo, login string, teams []string, st *Stats) (policy.User, bool) {
	now := g.now()
	perm, ok := g.permissions.get(permissionKey(owner, repo, login), now)
	if !ok {
		return policy.User{}, false
	}
	u := policy.User{Permission: perm, Teams: []string{}}
	for _, team := range teams {
		member, ok := g.memberships.get(membershipKey(team, login), now)
		if !ok {
			return policy.User{}, false
		}
		if member {
			u.Teams = append(u.Teams, team)
		}
	}
	st.CacheHits += 1 + len(teams)
	return u, true
}

// permissionLevel is GET collaborators/{u}/permission. go-github v60 lacks role_name, which
// tells triage and maintain apart ("permission" folds them into read and write).
type permissionLevel struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
}

// permission returns login's role on owner/repo: role_name when it is a standard role,
// else the legacy permission (custom roles map to their base there). 404 (not a
// collaborator, or no such user) is "none".
func (g *Gatherer) permission(ctx context.Context, client *github.Client, owner, repo, login string, st *Stats) (string, error) {
	key := permissionKey(owner, repo, login)
	if p, ok := g.permissions.get(key, g.now()); ok {
		st.CacheHits++
		return p, nil
	}
	u := fmt.Sprintf("repos/%s/%s/collaborators/%s/permission", url.PathEscape(owner), url.PathEscape(repo), url.PathEscape(login))
	req, err := client.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("get permission of %s on %s/%s: %w", login, owner, repo, err)
	}
	var pl permissionLevel
	resp, err := client.Do(ctx, req, &pl)
	st.count(resp, err)
	perm := PermissionNone
	switch {
	case isNotFound(err):
	case err != nil:
		return "", fmt.Errorf("get permission of %s on %s/%s: %w", login, owner, repo, err)
	case standardRoles[strings.ToLower(pl.RoleName)]:
		perm = strings.ToLower(pl.RoleName)
	case standardRoles[strings.ToLower(pl.Permission)]:
		perm = strings.ToLower(pl.Permission)
	}
	g.permissions.put(key, perm, g.now().Add(g.ttl))
	return perm, nil
}

// member says whether login is an active member of team ("org/slug"). 404 is "not a
// member"; a pending invitation is not membership.
func (g *Gatherer) member(ctx context.Context, client *github.Client, team, login string, st *Stats) (bool, error) {
	key := membershipKey(team, login)
	if ok, hit := g.memberships.get(key, g.now()); hit {
		st.CacheHits++
		return ok, nil
	}
	org, slug, found := strings.Cut(team, "/")
	if !found || !isLogin(org) || !teamSlug.MatchString(slug) {
		return false, fmt.Errorf("team %q is not org/slug", team)
	}
	m, resp, err := client.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
	st.count(resp, err)
	active := false
	switch {
	case isNotFound(err):
	case err != nil:
		return false, fmt.Errorf("get membership of %s in team %s: %w", login, team, err)
	default:
		active = m.GetState() == "active"
	}
	g.memberships.put(key, active, g.now().Add(g.ttl))
	return active, nil
}

// isNotFound says whether err is GitHub's 404.
func isNotFound(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// dedupeSorted returns the distinct non-empty strings of in, sorted.
func dedupeSorted(in []string) []string {
	set := map[string]bool{}
	for _, s := range in {
		if s != "" {
			set[s] = true
		}
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
