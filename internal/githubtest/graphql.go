package githubtest

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
)

// The fake answers GitHub's GraphQL API (POST /api/graphql) for the part of the schema in
// graphql_schema.graphqls, from the same state the REST routes serve, with a real GraphQL
// executor: a query is parsed and validated against the schema (an unknown field is an
// error, as on GitHub), and the answer has GitHub's shape ({"data":…,"errors":[…]}).

//go:embed graphql_schema.graphqls
var graphqlSchemaText string

// graphqlSchema is parsed once; resolvers find the server and installation in the context.
var graphqlSchema = graphql.MustParseSchema(graphqlSchemaText, &gqlRoot{}, graphql.UseFieldResolvers())

type gqlCtxKey struct{}

type gqlCtx struct {
	s    *Server
	inst int64
}

// DisableGraphQL makes POST /api/graphql answer 501, like a GitHub-compatible server
// without GraphQL: clients must fall back to REST.
func (s *Server) DisableGraphQL() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graphqlOff = true
}

// OlderGraphQLSchema makes every GraphQL query fail validation with 200 and an error, as
// a server whose schema lacks a field the query asks for (an older GitHub Enterprise
// Server) answers.
func (s *Server) OlderGraphQLSchema() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.graphqlOld = true
}

// serveGraphQL answers one GraphQL request for installation inst.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request, inst int64) {
	s.mu.Lock()
	off, old := s.graphqlOff, s.graphqlOld
	s.mu.Unlock()
	if off {
		writeError(w, http.StatusNotImplemented, "GraphQL is not implemented by this server")
		return
	}
	if old {
		writeJSON(w, http.StatusOK, map[string]any{"errors": []any{map[string]any{
			"message":    "Field 'checkSuites' doesn't exist on type 'Commit'",
			"locations":  []any{map[string]any{"line": 1, "column": 1}},
			"extensions": map[string]any{"code": "undefinedField", "typeName": "Commit", "fieldName": "checkSuites"},
		}}})
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var req struct {
		Query         string         `json:"query"`
		OperationName string         `json:"operationName"`
		Variables     map[string]any `json:"variables"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Query == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Problems parsing JSON", "documentation_url": docsURL})
		return
	}
	ctx := context.WithValue(r.Context(), gqlCtxKey{}, gqlCtx{s: s, inst: inst})
	resp := graphqlSchema.Exec(ctx, req.Query, req.OperationName, req.Variables)
	writeJSON(w, http.StatusOK, resp)
}

// gqlFrom is the server and installation serveGraphQL put in the context.
func gqlFrom(ctx context.Context) gqlCtx {
	g, _ := ctx.Value(gqlCtxKey{}).(gqlCtx)
	return g
}

// gqlError is a GraphQL error with GitHub's "type" (NOT_FOUND, …).
type gqlError struct{ typ, msg string }

func (e gqlError) Error() string { return e.msg }

// Extensions puts the type where GitHub's clients look for it.
func (e gqlError) Extensions() map[string]any { return map[string]any{"type": e.typ} }

// --- scalars ---

// gqlGitObjectID is the GitObjectID scalar: a commit SHA as a string.
type gqlGitObjectID string

func (gqlGitObjectID) ImplementsGraphQLType(name string) bool { return name == "GitObjectID" }
func (g *gqlGitObjectID) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("GitObjectID must be a string")
	}
	*g = gqlGitObjectID(s)
	return nil
}
func (g gqlGitObjectID) MarshalJSON() ([]byte, error) { return json.Marshal(string(g)) }

// gqlDateTime is the DateTime scalar: RFC 3339 in UTC, as GitHub writes it.
type gqlDateTime time.Time

func (gqlDateTime) ImplementsGraphQLType(name string) bool { return name == "DateTime" }
func (d *gqlDateTime) UnmarshalGraphQL(in any) error {
	s, ok := in.(string)
	if !ok {
		return fmt.Errorf("DateTime must be a string")
	}
	t, err := time.Parse(time.RFC3339, s)
	*d = gqlDateTime(t)
	return err
}
func (d gqlDateTime) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Time(d).UTC().Format(time.RFC3339))
}

func dateOrNil(t time.Time) *gqlDateTime {
	if t.IsZero() {
		return nil
	}
	d := gqlDateTime(t)
	return &d
}

// --- pagination ---

type gqlPageInfo struct {
	EndCursor       *string
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
}

// window applies first/last/after (cursors are positions) to n items, GitHub's rules:
// first and last at most 100.
func window(n int, first, last *int32, after *string) (lo, hi int, pi gqlPageInfo, err error) {
	lo, hi = 0, n
	if after != nil {
		if p, perr := strconv.Atoi(*after); perr == nil && p >= 0 && p < n {
			lo = p + 1
		} else if perr != nil {
			return 0, 0, pi, gqlError{"INVALID_CURSOR_ARGUMENTS", "`" + *after + "` does not appear to be a valid cursor."}
		} else {
			lo = n
		}
	}
	for _, v := range []*int32{first, last} {
		if v != nil && (*v < 0 || *v > 100) {
			return 0, 0, pi, gqlError{"EXCESSIVE_PAGINATION", "Requesting more than 100 records on a connection is not allowed."}
		}
	}
	if first != nil && int(*first) < hi-lo {
		hi = lo + int(*first)
	}
	if last != nil && int(*last) < hi-lo {
		lo = hi - int(*last)
	}
	pi.HasNextPage, pi.HasPreviousPage = hi < n, lo > 0
	if hi > lo {
		s, e := strconv.Itoa(lo), strconv.Itoa(hi-1)
		pi.StartCursor, pi.EndCursor = &s, &e
	}
	return lo, hi, pi, nil
}

// --- query root and repository ---

type gqlRoot struct{}

func (*gqlRoot) Repository(ctx context.Context, args struct{ Owner, Name string }) (*gqlRepo, error) {
	g := gqlFrom(ctx)
	repo := g.s.Repo(args.Owner + "/" + args.Name)
	if repo == nil || !g.s.visibleTo(g.inst, repo) {
		return nil, gqlError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", args.Owner, args.Name)}
	}
	return &gqlRepo{r: repo}, nil
}

type gqlRepo struct{ r *Repo }

func (g *gqlRepo) NameWithOwner() string { return g.r.FullName }

func (g *gqlRepo) PullRequest(args struct{ Number int32 }) (*gqlPR, error) {
	g.r.s.mu.Lock()
	p, ok := g.r.prs[int(args.Number)]
	g.r.s.mu.Unlock()
	if !ok {
		return nil, gqlError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a PullRequest with the number of %d.", args.Number)}
	}
	return &gqlPR{r: g.r, p: p}, nil
}

type gqlCollaboratorArgs struct {
	Query       *string
	Login       *string
	Affiliation *string
	First       *int32
	After       *string
}

type gqlCollaborators struct {
	Edges      *[]*gqlCollaboratorEdge
	Nodes      *[]*gqlUser
	PageInfo   gqlPageInfo
	TotalCount int32
}

type gqlCollaboratorEdge struct {
	Cursor     string
	Node       *gqlUser
	Permission string
}

// Collaborators lists the users with a permission on the repository (not "none"), by
// login; query matches a substring of the login, login one login exactly.
func (g *gqlRepo) Collaborators(args gqlCollaboratorArgs) (*gqlCollaborators, error) {
	g.r.s.mu.Lock()
	var logins []string
	for login, perm := range g.r.permissions {
		if perm == "" || perm == "none" {
			continue
		}
		if args.Query != nil && !strings.Contains(login, strings.ToLower(*args.Query)) {
			continue
		}
		if args.Login != nil && login != strings.ToLower(*args.Login) {
			continue
		}
		logins = append(logins, login)
	}
	sort.Strings(logins)
	perms := map[string]string{}
	for _, l := range logins {
		perms[l] = g.r.permissions[l]
	}
	g.r.s.mu.Unlock()
	lo, hi, pi, err := window(len(logins), args.First, nil, args.After)
	if err != nil {
		return nil, err
	}
	edges, nodes := []*gqlCollaboratorEdge{}, []*gqlUser{}
	for i := lo; i < hi; i++ {
		u := &gqlUser{login: logins[i]}
		edges = append(edges, &gqlCollaboratorEdge{Cursor: strconv.Itoa(i), Node: u, Permission: strings.ToUpper(perms[logins[i]])})
		nodes = append(nodes, u)
	}
	return &gqlCollaborators{Edges: &edges, Nodes: &nodes, PageInfo: pi, TotalCount: int32(len(logins))}, nil
}

// --- actors ---

type gqlUser struct{ login string }

func (u *gqlUser) Login() string { return u.login }

type gqlBot struct{ login string }

func (b *gqlBot) Login() string { return b.login }

// gqlActor is a User, or a Bot for logins ending in "[bot]" (GraphQL names a bot
// without the suffix REST adds).
type gqlActor struct{ login string }

func actorOf(login string) *gqlActor {
	if login == "" {
		return nil // a deleted account: GitHub answers null
	}
	return &gqlActor{login: login}
}

func (a *gqlActor) Login() string { return strings.TrimSuffix(a.login, "[bot]") }
func (a *gqlActor) ToUser() (*gqlUser, bool) {
	return &gqlUser{login: a.login}, !strings.HasSuffix(a.login, "[bot]")
}
func (a *gqlActor) ToBot() (*gqlBot, bool) {
	return &gqlBot{login: strings.TrimSuffix(a.login, "[bot]")}, strings.HasSuffix(a.login, "[bot]")
}

// --- pull request ---

type gqlPR struct {
	r *Repo
	p PR
}

func (g *gqlPR) Number() int32 { return int32(g.p.Number) }
func (g *gqlPR) State() string {
	switch {
	case g.p.Merged:
		return "MERGED"
	case g.p.State == "closed":
		return "CLOSED"
	}
	return "OPEN"
}
func (g *gqlPR) IsDraft() bool              { return g.p.Draft }
func (g *gqlPR) Merged() bool               { return g.p.Merged }
func (g *gqlPR) Title() string              { return g.p.Title }
func (g *gqlPR) Body() string               { return g.p.Body }
func (g *gqlPR) Author() *gqlActor          { return actorOf(g.p.Author) }
func (g *gqlPR) HeadRefName() string        { return g.p.HeadRef }
func (g *gqlPR) HeadRefOid() gqlGitObjectID { return gqlGitObjectID(g.p.HeadSHA) }
func (g *gqlPR) BaseRefName() string        { return g.p.BaseRef }
func (g *gqlPR) BaseRefOid() gqlGitObjectID { return gqlGitObjectID(g.p.BaseSHA) }

type gqlReviews struct {
	Nodes      *[]*gqlReview
	PageInfo   gqlPageInfo
	TotalCount int32
}

func (g *gqlPR) Reviews(args struct {
	First  *int32
	After  *string
	States *[]string
}) (*gqlReviews, error) {
	g.r.s.mu.Lock()
	var list []Review
	for _, rv := range g.r.reviews[g.p.Number] {
		if args.States != nil && !containsFold(*args.States, rv.State) {
			continue
		}
		list = append(list, rv)
	}
	perms := map[string]string{}
	for _, rv := range list {
		perms[rv.User] = g.r.permissions[strings.ToLower(rv.User)]
	}
	g.r.s.mu.Unlock()
	lo, hi, pi, err := window(len(list), args.First, nil, args.After)
	if err != nil {
		return nil, err
	}
	nodes := []*gqlReview{}
	for _, rv := range list[lo:hi] {
		nodes = append(nodes, &gqlReview{r: g.r, rv: rv, perm: perms[rv.User]})
	}
	return &gqlReviews{Nodes: &nodes, PageInfo: pi, TotalCount: int32(len(list))}, nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

type gqlReview struct {
	r    *Repo
	rv   Review
	perm string
}

func (g *gqlReview) DatabaseID() *int32 { id := int32(g.rv.ID); return &id }
func (g *gqlReview) State() string      { return strings.ToUpper(g.rv.State) }
func (g *gqlReview) SubmittedAt() *gqlDateTime {
	if strings.EqualFold(g.rv.State, "PENDING") {
		return nil
	}
	return dateOrNil(g.rv.SubmittedAt)
}
func (g *gqlReview) Author() *gqlActor { return actorOf(g.rv.User) }
func (g *gqlReview) Commit() *gqlCommit {
	if g.rv.CommitID == "" {
		return nil
	}
	return &gqlCommit{r: g.r, sha: g.rv.CommitID}
}
func (g *gqlReview) AuthorCanPushToRepository() bool {
	return g.perm == "write" || g.perm == "maintain" || g.perm == "admin"
}

type gqlPRCommits struct {
	Nodes      *[]*gqlPRCommit
	PageInfo   gqlPageInfo
	TotalCount int32
}

type gqlPRCommit struct{ Commit *gqlCommit }

func (g *gqlPR) Commits(args struct {
	First, Last   *int32
	After, Before *string
}) (*gqlPRCommits, error) {
	shas := g.p.Commits
	if len(shas) == 0 && g.p.HeadSHA != "" {
		shas = []string{g.p.HeadSHA}
	}
	lo, hi, pi, err := window(len(shas), args.First, args.Last, args.After)
	if err != nil {
		return nil, err
	}
	nodes := []*gqlPRCommit{}
	for _, sha := range shas[lo:hi] {
		nodes = append(nodes, &gqlPRCommit{Commit: &gqlCommit{r: g.r, sha: sha}})
	}
	return &gqlPRCommits{Nodes: &nodes, PageInfo: pi, TotalCount: int32(len(shas))}, nil
}

// --- commits, check suites and check runs ---

type gqlCommit struct {
	r   *Repo
	sha string
}

func (g *gqlCommit) Oid() gqlGitObjectID { return gqlGitObjectID(g.sha) }

type gqlSuites struct {
	Nodes      *[]*gqlSuite
	PageInfo   gqlPageInfo
	TotalCount int32
}

// CheckSuites has one suite per app that ran checks on the commit, in the order their
// first run was created.
func (g *gqlCommit) CheckSuites(args struct {
	First *int32
	After *string
}) (*gqlSuites, error) {
	g.r.s.mu.Lock()
	var apps []int64
	slugs := map[int64]string{}
	for _, c := range g.r.checkRuns {
		if c.HeadSHA != g.sha {
			continue
		}
		if _, ok := slugs[c.AppID]; !ok {
			apps = append(apps, c.AppID)
		}
		slugs[c.AppID] = c.AppSlug
	}
	g.r.s.mu.Unlock()
	lo, hi, pi, err := window(len(apps), args.First, nil, args.After)
	if err != nil {
		return nil, err
	}
	nodes := []*gqlSuite{}
	for _, id := range apps[lo:hi] {
		nodes = append(nodes, &gqlSuite{r: g.r, sha: g.sha, appID: id, slug: slugs[id]})
	}
	return &gqlSuites{Nodes: &nodes, PageInfo: pi, TotalCount: int32(len(apps))}, nil
}

type gqlSuite struct {
	r     *Repo
	sha   string
	appID int64
	slug  string
}

type gqlApp struct {
	DatabaseID *int32
	Slug       string
}

func (g *gqlSuite) App() *gqlApp { id := int32(g.appID); return &gqlApp{DatabaseID: &id, Slug: g.slug} }

type gqlCheckRunFilter struct {
	CheckType *string
	AppId     *int32
	CheckName *string
	Status    *string
}

type gqlRuns struct {
	Nodes      *[]*gqlRun
	PageInfo   gqlPageInfo
	TotalCount int32
}

// CheckRuns lists the suite's runs, oldest first; checkType LATEST keeps the latest run
// of each name (as REST's filter=latest).
func (g *gqlSuite) CheckRuns(args struct {
	First    *int32
	After    *string
	FilterBy *gqlCheckRunFilter
}) (*gqlRuns, error) {
	g.r.s.mu.Lock()
	var runs []CheckRun
	latest := map[string]int{}
	for _, c := range g.r.checkRuns {
		if c.HeadSHA != g.sha || c.AppID != g.appID {
			continue
		}
		if f := args.FilterBy; f != nil {
			if f.CheckName != nil && c.Name != *f.CheckName {
				continue
			}
			if f.Status != nil && !strings.EqualFold(c.Status, *f.Status) {
				continue
			}
			if f.CheckType != nil && *f.CheckType == "LATEST" {
				if i, ok := latest[c.Name]; ok {
					if c.ID > runs[i].ID {
						runs[i] = c
					}
					continue
				}
				latest[c.Name] = len(runs)
			}
		}
		runs = append(runs, c)
	}
	g.r.s.mu.Unlock()
	lo, hi, pi, err := window(len(runs), args.First, nil, args.After)
	if err != nil {
		return nil, err
	}
	nodes := []*gqlRun{}
	for _, c := range runs[lo:hi] {
		nodes = append(nodes, &gqlRun{c: c})
	}
	return &gqlRuns{Nodes: &nodes, PageInfo: pi, TotalCount: int32(len(runs))}, nil
}

type gqlRun struct{ c CheckRun }

func (g *gqlRun) DatabaseID() *int32 { id := int32(g.c.ID); return &id }
func (g *gqlRun) Name() string       { return g.c.Name }
func (g *gqlRun) Status() string     { return strings.ToUpper(g.c.Status) }
func (g *gqlRun) Conclusion() *string {
	if g.c.Conclusion == "" {
		return nil
	}
	s := strings.ToUpper(g.c.Conclusion)
	return &s
}
func (g *gqlRun) StartedAt() *gqlDateTime   { return dateOrNil(g.c.StartedAt) }
func (g *gqlRun) CompletedAt() *gqlDateTime { return dateOrNil(g.c.CompletedAt) }
