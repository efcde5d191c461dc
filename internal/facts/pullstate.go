package facts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// PullState is what one GraphQL request says of a pull request now: the fields of the PR
// a decision reads, every review, the latest check run of each name on its head, and the
// repository permission of the users asked for. It is how a green decision is confirmed
// for one request instead of four (PR, reviews, check runs, permissions): GitHub answers
// the whole query from one consistent read.
//
// Statuses are not part of it: GraphQL only shows the latest status per context, and the
// policy needs every status with its creator (a later status by someone else must not
// hide a failure), so they stay on REST, where an unchanged list is a free 304.
type PullState struct {
	Number  int
	State   string // "open" or "closed", as REST
	Merged  bool
	Draft   bool
	Title   string
	Body    string
	Author  string
	HeadRef string
	HeadSHA string
	BaseRef string
	// Reviews are every review, normalised as the REST reviews are (convertReviews); nil
	// when GitHub listed more than one page (the caller reads them from REST).
	Reviews []policy.Review
	// CheckRuns are the latest run of each name and app on HeadSHA; nil when GitHub
	// listed more than one page of suites or runs, or the PR's last commit is not its head.
	CheckRuns []*github.CheckRun
}

// ErrGraphQLUnusable says the GraphQL read could not answer (the server has no GraphQL,
// refused the query, or answered with errors): the caller reads the same from REST. It
// never means "the data says no".
var ErrGraphQLUnusable = errors.New("GraphQL read unusable")

// graphQLUnavailable wraps ErrGraphQLUnusable when the endpoint itself is missing (404,
// 501) or rejects the query as invalid (400, 422): trying again soon is pointless.
type graphQLUnavailable struct{ status int }

func (e graphQLUnavailable) Error() string {
	return fmt.Sprintf("GraphQL endpoint answered %d", e.status)
}
func (e graphQLUnavailable) Unwrap() error { return ErrGraphQLUnusable }

// GraphQLUnavailable says whether err means the GraphQL endpoint is missing or rejects
// foureyes' query, so that callers stop trying it for a while.
func GraphQLUnavailable(err error) bool {
	var u graphQLUnavailable
	return errors.As(err, &u)
}

// errGraphQLRateLimited is GitHub's RATE_LIMITED GraphQL error: transient (IsTransient).
var errGraphQLRateLimited = errors.New("GraphQL rate limit exceeded")

// maxStateUsers bounds the permissions asked in one query; the rest are read from REST.
const maxStateUsers = 10

// pullStateQuery reads the PR, its reviews and its head's check runs. Connection sizes
// keep the query at GitHub's minimum cost (1 point) while covering ordinary PRs in one
// page; a longer list is reported as incomplete, not guessed at. %s holds the
// collaborators lookups (collaboratorsQuery), %s their variable declarations.
const pullStateQuery = `query PullState($owner: String!, $name: String!, $number: Int!%s) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      number state isDraft merged title body headRefName headRefOid baseRefName
      author { __typename login }
      reviews(first: 100) {
        pageInfo { hasNextPage }
        nodes { databaseId state submittedAt author { __typename login } commit { oid } }
      }
      commits(last: 1) {
        nodes { commit { oid
          checkSuites(first: 50) {
            pageInfo { hasNextPage }
            nodes {
              app { databaseId slug }
              checkRuns(first: 100, filterBy: {checkType: LATEST}) {
                pageInfo { hasNextPage }
                nodes { databaseId name status conclusion startedAt completedAt }
              }
            }
          }
        } }
      }
    }%s
  }
}`

// collaboratorsQuery looks one login up among the repository's collaborators. "query"
// matches a substring of logins, so the exact login is picked from the answer.
const collaboratorsQuery = `
    u%d: collaborators(query: $u%d, first: 100) {
      pageInfo { hasNextPage }
      edges { permission node { login } }
    }`

type gqlActor struct {
	Typename string `json:"__typename"`
	Login    string `json:"login"`
}

// restLogin is the login as REST names it: a bot gets "[bot]", a deleted account is "ghost".
func (a *gqlActor) restLogin() string {
	switch {
	case a == nil || a.Login == "":
		return "ghost"
	case a.Typename == "Bot" && !strings.HasSuffix(a.Login, "[bot]"):
		return a.Login + "[bot]"
	}
	return a.Login
}

type gqlPageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

type gqlPull struct {
	Number      int       `json:"number"`
	State       string    `json:"state"`
	IsDraft     bool      `json:"isDraft"`
	Merged      bool      `json:"merged"`
	Title       string    `json:"title"`
	Body        string    `json:"body"`
	HeadRefName string    `json:"headRefName"`
	HeadRefOid  string    `json:"headRefOid"`
	BaseRefName string    `json:"baseRefName"`
	Author      *gqlActor `json:"author"`
	Reviews     *struct {
		PageInfo gqlPageInfo `json:"pageInfo"`
		Nodes    []*struct {
			DatabaseID  json.Number `json:"databaseId"`
			State       string      `json:"state"`
			SubmittedAt *time.Time  `json:"submittedAt"`
			Author      *gqlActor   `json:"author"`
			Commit      *struct {
				Oid string `json:"oid"`
			} `json:"commit"`
		} `json:"nodes"`
	} `json:"reviews"`
	Commits struct {
		Nodes []*struct {
			Commit struct {
				Oid         string     `json:"oid"`
				CheckSuites *gqlSuites `json:"checkSuites"`
			} `json:"commit"`
		} `json:"nodes"`
	} `json:"commits"`
}

type gqlSuites struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Nodes    []*struct {
		App *struct {
			DatabaseID json.Number `json:"databaseId"`
			Slug       string      `json:"slug"`
		} `json:"app"`
		CheckRuns *struct {
			PageInfo gqlPageInfo `json:"pageInfo"`
			Nodes    []*gqlRun   `json:"nodes"`
		} `json:"checkRuns"`
	} `json:"nodes"`
}

type gqlRun struct {
	DatabaseID  json.Number `json:"databaseId"`
	Name        string      `json:"name"`
	Status      string      `json:"status"`
	Conclusion  *string     `json:"conclusion"`
	StartedAt   *time.Time  `json:"startedAt"`
	CompletedAt *time.Time  `json:"completedAt"`
}

type gqlCollaborators struct {
	PageInfo gqlPageInfo `json:"pageInfo"`
	Edges    []*struct {
		Permission string `json:"permission"`
		Node       *struct {
			Login string `json:"login"`
		} `json:"node"`
	} `json:"edges"`
}

type gqlError struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	Path       []any  `json:"path"`
	Extensions struct {
		Type string `json:"type"`
	} `json:"extensions"`
}

// inLookup says whether the error is about one of the collaborators lookups only.
func (e gqlError) inLookup() bool {
	if len(e.Path) < 2 || e.Path[0] != "repository" {
		return false
	}
	alias, _ := e.Path[1].(string)
	_, err := strconv.Atoi(strings.TrimPrefix(alias, "u"))
	return strings.HasPrefix(alias, "u") && err == nil
}

func (e gqlError) typ() string {
	if e.Type != "" {
		return e.Type
	}
	return e.Extensions.Type
}

// PullState reads owner/repo#number with one GraphQL request to url (GitHub's GraphQL
// endpoint, through client's authenticated transport), and looks up the repository
// permission of users (at most maxStateUsers; more are left to REST). Every permission
// found is cached like a REST answer (g.ttl), so the evaluation that follows reads none.
//
// Errors: ErrGraphQLUnusable (wrapped) when the answer cannot be used (the caller reads
// REST instead; GraphQLUnavailable says whether to stop trying for a while); otherwise
// go-github's error, which IsTransient classifies (5xx, rate limits).
func (g *Gatherer) PullState(ctx context.Context, client *github.Client, url, owner, repo string, number int, users []string) (PullState, Stats, error) {
	var st Stats
	logins := make([]string, 0, len(users))
	for _, u := range dedupeSorted(users) {
		if isLogin(u) && len(logins) < maxStateUsers {
			logins = append(logins, u)
		}
	}
	vars := map[string]any{"owner": owner, "name": repo, "number": number}
	var decls, lookups strings.Builder
	for i, u := range logins {
		fmt.Fprintf(&decls, ", $u%d: String!", i)
		fmt.Fprintf(&lookups, collaboratorsQuery, i, i)
		vars["u"+strconv.Itoa(i)] = u
	}
	req, err := client.NewRequest(http.MethodPost, url, map[string]any{"query": fmt.Sprintf(pullStateQuery, decls.String(), lookups.String()), "variables": vars})
	if err != nil {
		return PullState{}, st, fmt.Errorf("GraphQL request: %w", err)
	}
	var answer struct {
		Data struct {
			Repository map[string]json.RawMessage `json:"repository"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	resp, err := client.Do(ctx, req, &answer)
	st.count(resp, err)
	if err != nil {
		var er *github.ErrorResponse
		if errors.As(err, &er) && er.Response != nil {
			switch er.Response.StatusCode {
			case http.StatusNotFound, http.StatusNotImplemented, http.StatusBadRequest, http.StatusUnprocessableEntity:
				return PullState{}, st, fmt.Errorf("pull request %s/%s#%d: %w", owner, repo, number, graphQLUnavailable{er.Response.StatusCode})
			}
		}
		if IsTransient(err) {
			return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: %w", owner, repo, number, err)
		}
		if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden {
			// Not a rate limit (IsTransient above): the query is forbidden where REST
			// may not be.
			return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: %v: %w", owner, repo, number, err, ErrGraphQLUnusable)
		}
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		if errors.As(err, &se) || errors.As(err, &te) {
			return PullState{}, st, fmt.Errorf("GraphQL answer for %s/%s#%d: %v: %w", owner, repo, number, err, ErrGraphQLUnusable)
		}
		return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: %w", owner, repo, number, err)
	}
	for _, e := range answer.Errors {
		if e.typ() == "RATE_LIMITED" {
			return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: rate limited: %s: %w", owner, repo, number, e.Message, errGraphQLRateLimited)
		}
	}
	for _, e := range answer.Errors {
		// A permission lookup GitHub refused (u0, u1, …) leaves that user to REST; any
		// other error makes the whole answer unusable.
		if !e.inLookup() {
			return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: %s (%s): %w", owner, repo, number, e.Message, e.typ(), ErrGraphQLUnusable)
		}
	}
	var pull *gqlPull
	if raw := answer.Data.Repository["pullRequest"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &pull); err != nil {
			return PullState{}, st, fmt.Errorf("GraphQL pull request %s/%s#%d: %v: %w", owner, repo, number, err, ErrGraphQLUnusable)
		}
	}
	if pull == nil || pull.Number != number || pull.HeadRefOid == "" {
		return PullState{}, st, fmt.Errorf("GraphQL read of %s/%s#%d: no pull request in the answer: %w", owner, repo, number, ErrGraphQLUnusable)
	}
	ps := pullStateOf(pull)
	for i, login := range logins {
		var c *gqlCollaborators
		if raw := answer.Data.Repository["u"+strconv.Itoa(i)]; len(raw) > 0 {
			if err := json.Unmarshal(raw, &c); err != nil {
				return PullState{}, st, fmt.Errorf("GraphQL collaborators of %s/%s: %v: %w", owner, repo, err, ErrGraphQLUnusable)
			}
		}
		if perm, ok := c.permissionOf(login); ok {
			g.permissions.put(permissionKey(owner, repo, login), perm, g.now().Add(g.ttl))
		}
	}
	return ps, st, nil
}

// permissionOf finds login's permission in the answer. Not found (not a collaborator, or
// on a later page) is "not known": REST answers it, including "none".
func (c *gqlCollaborators) permissionOf(login string) (string, bool) {
	if c == nil {
		return "", false
	}
	for _, e := range c.Edges {
		if e == nil || e.Node == nil || !strings.EqualFold(e.Node.Login, login) {
			continue
		}
		if p := strings.ToLower(e.Permission); standardRoles[p] {
			return p, true
		}
	}
	return "", false
}

// pullStateOf converts the answer to REST's vocabulary.
func pullStateOf(p *gqlPull) PullState {
	ps := PullState{
		Number: p.Number, Merged: p.Merged || p.State == "MERGED", Draft: p.IsDraft,
		Title: p.Title, Body: p.Body, Author: p.Author.restLogin(),
		HeadRef: p.HeadRefName, HeadSHA: p.HeadRefOid, BaseRef: p.BaseRefName,
		State: "closed",
	}
	if p.State == "OPEN" {
		ps.State = "open"
	}
	if p.Reviews != nil && !p.Reviews.PageInfo.HasNextPage {
		reviews := make([]*github.PullRequestReview, 0, len(p.Reviews.Nodes))
		for _, n := range p.Reviews.Nodes {
			if n == nil {
				continue
			}
			id, _ := n.DatabaseID.Int64()
			rv := &github.PullRequestReview{ID: &id, State: github.String(n.State), User: &github.User{Login: github.String(n.Author.restLogin())}}
			if n.Commit != nil {
				rv.CommitID = github.String(n.Commit.Oid)
			}
			if n.SubmittedAt != nil {
				rv.SubmittedAt = &github.Timestamp{Time: *n.SubmittedAt}
			}
			reviews = append(reviews, rv)
		}
		ps.Reviews = convertReviews(reviews)
	}
	if len(p.Commits.Nodes) == 1 && p.Commits.Nodes[0] != nil && p.Commits.Nodes[0].Commit.Oid == p.HeadRefOid {
		ps.CheckRuns = checkRunsOf(p.Commits.Nodes[0].Commit.CheckSuites)
	}
	return ps
}

// checkRunsOf flattens the head's suites into REST-shaped check runs; nil when a list
// had more pages.
func checkRunsOf(suites *gqlSuites) []*github.CheckRun {
	if suites == nil || suites.PageInfo.HasNextPage {
		return nil
	}
	runs := []*github.CheckRun{}
	for _, s := range suites.Nodes {
		if s == nil || s.CheckRuns == nil {
			continue
		}
		if s.CheckRuns.PageInfo.HasNextPage {
			return nil
		}
		app := &github.App{}
		if s.App != nil {
			id, _ := s.App.DatabaseID.Int64()
			app = &github.App{ID: &id, Slug: github.String(s.App.Slug)}
		}
		for _, n := range s.CheckRuns.Nodes {
			if n == nil {
				continue
			}
			id, _ := n.DatabaseID.Int64()
			run := &github.CheckRun{ID: &id, Name: github.String(n.Name), Status: github.String(strings.ToLower(n.Status)), App: app}
			if n.Conclusion != nil {
				run.Conclusion = github.String(strings.ToLower(*n.Conclusion))
			}
			if n.StartedAt != nil {
				run.StartedAt = &github.Timestamp{Time: *n.StartedAt}
			}
			if n.CompletedAt != nil {
				run.CompletedAt = &github.Timestamp{Time: *n.CompletedAt}
			}
			runs = append(runs, run)
		}
	}
	return runs
}

// Statuses lists every commit status of sha (REST, conditional: unchanged is a free 304).
func (g *Gatherer) Statuses(ctx context.Context, client *github.Client, owner, repo, sha string) ([]*github.RepoStatus, Stats, error) {
	var st Stats
	statuses, err := listStatuses(ctx, client, owner, repo, sha, &st)
	return statuses, st, err
}

// ChecksOf merges check runs and statuses as the policy sees them (convertChecks).
func ChecksOf(runs []*github.CheckRun, statuses []*github.RepoStatus) []policy.Check {
	return convertChecks(runs, statuses)
}
