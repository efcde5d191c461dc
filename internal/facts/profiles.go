package facts

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// profile is a user's public name and e-mail (GET /users/{login}); empty when not public.
type profile struct {
	Login, Name, Email string
}

// reviewerProfiles reads the public profile of every reviewer of the PR (not the author,
// not bots), each cached for the TTL. It is only called when a co-author trailer is left
// unresolved: the profiles may resolve it, and tell the policy whom it cannot be.
func (g *Gatherer) reviewerProfiles(ctx context.Context, client *github.Client, f *policy.Facts, st *Stats) (map[string]profile, error) {
	out := map[string]profile{}
	for _, r := range f.Reviews {
		login := r.User
		key := strings.ToLower(login)
		if _, done := out[key]; done || !isLogin(login) || strings.HasSuffix(login, "[bot]") || strings.EqualFold(login, f.PullRequest.Author) {
			continue
		}
		if p, ok := g.profiles.get(key, g.now()); ok {
			st.CacheHits++
			out[key] = p
			continue
		}
		u, resp, err := client.Users.Get(ctx, login)
		st.count(resp, err)
		p := profile{Login: login}
		switch {
		case isNotFound(err):
		case err != nil:
			return nil, fmt.Errorf("get profile of %s: %w", login, err)
		default:
			p.Name, p.Email = strings.TrimSpace(u.GetName()), strings.TrimSpace(u.GetEmail())
		}
		g.profiles.put(key, p, g.now().Add(g.ttl))
		out[key] = p
	}
	return out, nil
}

// resolveTrailers resolves the pending trailers through the reviewers' public profiles: a
// trailer whose e-mail is a reviewer's public e-mail, or whose name is a reviewer's public
// name (case-insensitive), names that reviewer (every such reviewer, if several). Those
// left are listed in f.UnresolvedCoAuthors.
func resolveTrailers(f *policy.Facts, pending []pendingTrailer, profiles map[string]profile) {
	for _, pt := range pending {
		var matched []string
		for _, p := range profiles {
			if (p.Email != "" && strings.EqualFold(p.Email, strings.TrimSpace(pt.ca.Email))) ||
				(p.Name != "" && strings.EqualFold(p.Name, strings.TrimSpace(pt.ca.Name))) {
				matched = append(matched, p.Login)
			}
		}
		c := &f.Commits[pt.commit]
		if len(matched) == 0 {
			f.UnresolvedCoAuthors = append(f.UnresolvedCoAuthors, policy.UnresolvedCoAuthor{Commit: c.SHA, Name: pt.ca.Name, Email: pt.ca.Email})
			continue
		}
		sort.Strings(matched)
		if pt.slot >= 0 && pt.slot < len(c.CoAuthors) {
			c.CoAuthors[pt.slot] = matched[0]
			matched = matched[1:]
		}
		for _, m := range matched {
			if slicesIndexFold(c.CoAuthors, m) < 0 {
				c.CoAuthors = append(c.CoAuthors, m)
			}
		}
	}
}

// withProfiles adds the public name and e-mail to the reviewers' user facts.
func withProfiles(users map[string]policy.User, profiles map[string]profile) {
	for login, u := range users {
		if p, ok := profiles[strings.ToLower(login)]; ok {
			u.Name, u.Email = p.Name, p.Email
			users[login] = u
		}
	}
}
