package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/store"
)

// Roles, from the most to the least reach.
const (
	RoleAuditor    = "auditor"    // a member of a console.auditors team: every installed org, read only but for review notes
	RoleOwner      = "owner"      // an org owner: everything of that org
	RoleMaintainer = "maintainer" // a repository admin or maintainer: those repositories
	RoleNone       = "none"       // nothing: the "you have no access" page
)

// Access is what a user may see and do, as GitHub said at Checked.
type Access struct {
	Role  string      `json:"role"`
	Scope store.Scope `json:"scope"`
	// NoteOrgs are the organisations whose exceptions the user may add review notes
	// to: every installed org for an auditor, their own orgs for an owner.
	NoteOrgs []string `json:"note_orgs,omitempty"`
}

// MayNote says whether the user may add a review note on an exception of repo.
func (a Access) MayNote(repo string) bool {
	return store.Scope{Orgs: a.NoteOrgs}.Allows(repo)
}

// Authorizer finds what a GitHub user may see.
type Authorizer interface {
	Access(ctx context.Context, login string) (Access, error)
}

// GitHubAuthorizer reads access with the app's own credentials (as policy-bot's
// details page does): the installations, the auditor teams, org memberships and
// repository permissions. No user token is needed or kept.
type GitHubAuthorizer struct {
	Clients  githubapp.ClientCreator
	Auditors []string // "org/team-slug"
	// MaxRepos bounds the permission lookups per installation (default 300), so one
	// login cannot exhaust the rate limit of a large org.
	MaxRepos int
}

// ParseTeams checks console.auditors entries ("org/team-slug").
func ParseTeams(teams []string) error {
	for _, team := range teams {
		org, slug, ok := strings.Cut(team, "/")
		if !ok || org == "" || slug == "" || strings.Contains(slug, "/") {
			return fmt.Errorf("console.auditors: %q is not a team written org/team-slug", team)
		}
	}
	return nil
}

// Access answers from GitHub; an error means "unknown", never "none".
func (g *GitHubAuthorizer) Access(ctx context.Context, login string) (Access, error) {
	app, err := g.Clients.NewAppClient()
	if err != nil {
		return Access{}, fmt.Errorf("app client: %w", err)
	}
	var insts []*github.Installation
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := app.Apps.ListInstallations(ctx, opt)
		if err != nil {
			return Access{}, fmt.Errorf("list installations: %w", err)
		}
		insts = append(insts, page...)
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	byOrg := map[string]int64{}
	var orgs []string
	for _, in := range insts {
		org := in.GetAccount().GetLogin()
		if org == "" {
			continue
		}
		byOrg[strings.ToLower(org)] = in.GetID()
		orgs = append(orgs, org)
	}
	sort.Strings(orgs)
	client := func(org string) (*github.Client, bool, error) {
		id, ok := byOrg[strings.ToLower(org)]
		if !ok {
			return nil, false, nil
		}
		c, err := g.Clients.NewInstallationClient(id)
		return c, true, err
	}

	for _, team := range g.Auditors {
		org, slug, _ := strings.Cut(team, "/")
		c, ok, err := client(org)
		if err != nil {
			return Access{}, err
		}
		if !ok {
			continue // the app is not installed on the team's org: it cannot read the team
		}
		m, resp, err := c.Teams.GetTeamMembershipBySlug(ctx, org, slug, login)
		if notFound(resp) {
			continue
		}
		if err != nil {
			return Access{}, fmt.Errorf("team membership %s: %w", team, err)
		}
		if m.GetState() == "active" {
			return Access{Role: RoleAuditor, Scope: store.Scope{Orgs: orgs}, NoteOrgs: orgs}, nil
		}
	}

	a := Access{Role: RoleNone}
	var mu sync.Mutex
	for _, org := range orgs {
		c, _, err := client(org)
		if err != nil {
			return Access{}, err
		}
		m, resp, err := c.Organizations.GetOrgMembership(ctx, login, org)
		switch {
		case notFound(resp):
		case err != nil:
			return Access{}, fmt.Errorf("org membership %s: %w", org, err)
		case m.GetState() == "active" && m.GetRole() == "admin":
			a.Role = RoleOwner
			a.Scope.Orgs = append(a.Scope.Orgs, org)
			a.NoteOrgs = append(a.NoteOrgs, org)
			continue
		}
		repos, err := g.maintained(ctx, c, login)
		if err != nil {
			return Access{}, fmt.Errorf("repository permissions in %s: %w", org, err)
		}
		mu.Lock()
		a.Scope.Repos = append(a.Scope.Repos, repos...)
		mu.Unlock()
	}
	if a.Role == RoleNone && len(a.Scope.Repos) > 0 {
		a.Role = RoleMaintainer
	}
	sort.Strings(a.Scope.Repos)
	return a, nil
}

// maintained lists the installation's repositories where login is admin or maintainer.
func (g *GitHubAuthorizer) maintained(ctx context.Context, c *github.Client, login string) ([]string, error) {
	limit := g.MaxRepos
	if limit <= 0 {
		limit = 300
	}
	var names []string
	opt := &github.ListOptions{PerPage: 100}
	for len(names) < limit {
		page, resp, err := c.Apps.ListRepos(ctx, opt)
		if err != nil {
			return nil, err
		}
		for _, r := range page.Repositories {
			names = append(names, r.GetFullName())
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	names = names[:min(len(names), limit)]
	out := make([]string, 0)
	var (
		mu       sync.Mutex
		wg       sync.WaitGroup
		firstErr error
		sem      = make(chan struct{}, 8)
	)
	for _, name := range names {
		owner, repo, _ := strings.Cut(name, "/")
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			p, resp, err := c.Repositories.GetPermissionLevel(ctx, owner, repo, login)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case notFound(resp):
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case p.GetPermission() == "admin" || p.GetUser().GetRoleName() == "maintain" || p.GetUser().GetRoleName() == "admin":
				out = append(out, name)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

func notFound(resp *github.Response) bool {
	return resp != nil && resp.StatusCode == http.StatusNotFound
}

// accessCache is how long a session trusts the access it found: after that, the next
// request reads it from GitHub again.
const accessCache = 5 * time.Minute

var errNoAccess = errors.New("you have no access")
