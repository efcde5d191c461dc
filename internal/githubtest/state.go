package githubtest

import (
	"sort"
	"strings"
	"time"
)

// Commit is a git commit as the fake serves it. Author and Committer are GitHub logins;
// "" means GitHub could not map the git email to an account (the REST field is null).
type Commit struct {
	SHA         string
	Parents     []string
	Author      string
	Committer   string
	AuthorEmail string
	// CommitterEmail defaults to AuthorEmail, or noreply@github.com for web-flow.
	CommitterEmail string
	Message        string
	Verified       bool
	Date           time.Time
	// Files are the paths the commit changed (optional; served on GET commits/{sha}).
	Files []string
}

// PR is a pull request. State is "open" or "closed"; Merged implies closed.
type PR struct {
	Number  int
	Title   string
	Body    string
	Author  string
	Draft   bool
	State   string
	Merged  bool
	BaseRef string
	BaseSHA string
	HeadRef string
	HeadSHA string
	// Commits are the PR's commit SHAs, oldest first (the commits are added with AddCommit).
	Commits []string
	// Files are the changed file paths (status "modified" unless FileStatus says otherwise).
	Files      []string
	FileStatus map[string]string
	// RenamedFrom maps a file of Files to the path it was renamed from: it is listed with
	// status "renamed" (unless FileStatus says otherwise) and previous_filename.
	RenamedFrom map[string]string
	// MergedBy is the login that merged the PR (webhook and REST merged_by).
	MergedBy       string
	MergeCommitSHA string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	MergedAt       time.Time
}

// Review is a pull-request review. State is upper case as in REST
// (APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING).
type Review struct {
	ID          int64
	User        string
	State       string
	CommitID    string
	SubmittedAt time.Time
	Body        string
}

// CheckRun is a check run on a head SHA. A run added with AddCheckRun without an app is
// attributed to GitHub Actions (slug "github-actions", id 15368).
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	AppSlug     string
	AppID       int64
	Status      string
	Conclusion  string
	StartedAt   time.Time
	CompletedAt time.Time
	DetailsURL  string
	ExternalID  string
	Output      CheckRunOutput
	Actions     []CheckRunAction
}

// CheckRunOutput is the output of a check run. Annotations accumulate over PATCHes as on GitHub.
type CheckRunOutput struct {
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
}

// Annotation is a check-run annotation.
type Annotation struct {
	Path            string `json:"path"`
	StartLine       int    `json:"start_line"`
	EndLine         int    `json:"end_line"`
	AnnotationLevel string `json:"annotation_level"`
	Message         string `json:"message"`
	Title           string `json:"title,omitempty"`
	RawDetails      string `json:"raw_details,omitempty"`
}

// CheckRunAction is a requested-action button of a check run.
type CheckRunAction struct {
	Label       string `json:"label"`
	Description string `json:"description"`
	Identifier  string `json:"identifier"`
}

// CheckRunWrite is one POST or PATCH of a check run by the app, as sent.
// Fields the request did not set are zero.
type CheckRunWrite struct {
	Method      string // "POST" or "PATCH"
	ID          int64
	Name        string
	HeadSHA     string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	Annotations []Annotation
	Actions     []CheckRunAction
	At          time.Time
}

// Status is a commit status.
type Status struct {
	ID          int64
	Context     string
	State       string
	Creator     string
	Description string
	TargetURL   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Request is one API request the fake answered. Path excludes the /api/v3 prefix
// (the same form Fail patterns use); GraphQL requests have Path "/graphql".
type Request struct {
	Method       string
	Path         string
	Query        string
	Status       int
	Installation int64 // 0 when not authenticated as an installation
	Conditional  bool  // the request had If-None-Match
	NotModified  bool  // answered 304
	At           time.Time
	Answered     time.Time // when the answer (after any latency) was ready
}

// DeploymentReview is one POST to a deployment protection rule callback, including
// failed ones (Status is the HTTP status answered: 204 on success).
type DeploymentReview struct {
	Repo            string
	RunID           int64
	EnvironmentName string
	State           string
	Comment         string
	Status          int
	Installation    int64
	At              time.Time
}

type installation struct {
	id      int64
	account string
	// selection is "all" (default) or "selected" (SetRepositorySelection): a selected
	// installation's token sees only its own repositories (others answer 404, as GitHub
	// answers for a private repository the installation was not given).
	selection string
}

// Repo is a repository of the fake. Its methods are goroutine-safe.
type Repo struct {
	s              *Server
	ID             int64
	Owner          string
	Name           string
	FullName       string
	DefaultBranch  string
	InstallationID int64
	Private        bool

	// guarded by s.mu
	files       map[string]map[string]string // ref -> path -> content
	commits     map[string]Commit
	prs         map[int]PR
	reviews     map[int][]Review
	checkRuns   []CheckRun
	statuses    map[string][]Status // sha -> oldest first
	permissions map[string]string
	commitPulls map[string][]int
	branches    map[string]string // branch -> sha
	// Control health (rules.go): rules in force per branch, classic protection per branch,
	// and whether the app may read classic protection (administration: read).
	rules          map[string][]map[string]any
	protection     map[string]map[string]any
	adminForbidden bool
}

// AddInstallation registers an installation of the app on account (an org or user login).
func (s *Server) AddInstallation(id int64, account string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.installations[id] = &installation{id: id, account: account}
}

// AddRepo adds a repository ("owner/name") installed through installationID, with
// default branch "main". Adding an existing repo returns it (and moves it to installationID).
func (s *Server) AddRepo(fullName string, installationID int64) *Repo {
	owner, name, ok := strings.Cut(fullName, "/")
	if !ok || owner == "" || name == "" {
		panic("githubtest: AddRepo: full name must be owner/name, got " + fullName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(fullName)
	if r, ok := s.repos[key]; ok {
		r.InstallationID = installationID
		return r
	}
	s.nextRepoID++
	r := &Repo{
		s: s, ID: s.nextRepoID, Owner: owner, Name: name, FullName: fullName,
		DefaultBranch: "main", InstallationID: installationID,
		files: map[string]map[string]string{}, commits: map[string]Commit{},
		prs: map[int]PR{}, reviews: map[int][]Review{}, statuses: map[string][]Status{},
		permissions: map[string]string{}, commitPulls: map[string][]int{}, branches: map[string]string{},
	}
	s.repos[key] = r
	return r
}

// Repo returns the repository added as fullName, or nil.
func (s *Server) Repo(fullName string) *Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.repos[strings.ToLower(fullName)]
}

// SetDefaultBranch changes the default branch (used when contents are read without ref).
func (r *Repo) SetDefaultBranch(branch string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.DefaultBranch = branch
}

// SetBranch points a branch at sha, so that refs by branch name resolve
// (check runs and statuses for a ref, contents?ref=branch falls back to it).
func (r *Repo) SetBranch(branch, sha string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.branches[branch] = sha
}

// SetFile stores content at path on ref (a branch name or a SHA, matched exactly).
func (r *Repo) SetFile(ref, path, content string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	path = strings.TrimPrefix(path, "/")
	if r.files[ref] == nil {
		r.files[ref] = map[string]string{}
	}
	r.files[ref][path] = content
}

// DeleteFile removes path from ref.
func (r *Repo) DeleteFile(ref, path string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	delete(r.files[ref], strings.TrimPrefix(path, "/"))
}

// AddCommit adds (or replaces) a commit.
func (r *Repo) AddCommit(c Commit) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if c.Date.IsZero() {
		c.Date = baseTime
	}
	r.commits[c.SHA] = c
}

// Commit returns the commit with sha and whether it exists.
func (r *Repo) Commit(sha string) (Commit, bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	c, ok := r.commits[sha]
	return c, ok
}

// SetPR adds or replaces a pull request. Empty fields get defaults: State "open",
// BaseRef the default branch, timestamps a fixed time.
func (r *Repo) SetPR(p PR) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.prs[p.Number] = r.normPR(p)
}

func (r *Repo) normPR(p PR) PR {
	if p.Merged {
		p.State = "closed"
		if p.MergedAt.IsZero() {
			p.MergedAt = baseTime.Add(time.Hour)
		}
	}
	if p.State == "" {
		p.State = "open"
	}
	if p.BaseRef == "" {
		p.BaseRef = r.DefaultBranch
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = baseTime
	}
	if p.UpdatedAt.IsZero() {
		p.UpdatedAt = p.CreatedAt
	}
	if p.HeadSHA == "" && len(p.Commits) > 0 {
		p.HeadSHA = p.Commits[len(p.Commits)-1]
	}
	return p
}

// PR returns pull request number (zero PR if absent).
func (r *Repo) PR(number int) PR {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.prs[number]
}

// AddReview adds a review to PR number. ID is assigned when 0, State is upper-cased,
// SubmittedAt defaults to a fixed time after the PR was created.
func (r *Repo) AddReview(number int, rv Review) Review {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if rv.ID == 0 {
		r.s.nextID++
		rv.ID = r.s.nextID
	}
	rv.State = strings.ToUpper(rv.State)
	if rv.State == "" {
		rv.State = "APPROVED"
	}
	if rv.SubmittedAt.IsZero() {
		rv.SubmittedAt = baseTime.Add(time.Duration(len(r.reviews[number])+1) * time.Minute)
	}
	r.reviews[number] = append(r.reviews[number], rv)
	return rv
}

// Reviews returns the reviews of PR number, in submission order.
func (r *Repo) Reviews(number int) []Review {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return append([]Review(nil), r.reviews[number]...)
}

// DismissReview sets the state of review id on PR number to DISMISSED.
func (r *Repo) DismissReview(number int, id int64) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for i := range r.reviews[number] {
		if r.reviews[number][i].ID == id {
			r.reviews[number][i].State = "DISMISSED"
		}
	}
}

// AddCheckRun adds a check run on sha (by another app unless AppID/AppSlug say otherwise).
func (r *Repo) AddCheckRun(sha string, c CheckRun) CheckRun {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if c.ID == 0 {
		r.s.nextID++
		c.ID = r.s.nextID
	}
	c.HeadSHA = sha
	if c.AppSlug == "" && c.AppID == 0 {
		c.AppSlug, c.AppID = "github-actions", 15368
	}
	if c.Status == "" {
		if c.Conclusion != "" {
			c.Status = "completed"
		} else {
			c.Status = "queued"
		}
	}
	if c.StartedAt.IsZero() {
		c.StartedAt = baseTime
	}
	if c.Status == "completed" && c.CompletedAt.IsZero() {
		c.CompletedAt = c.StartedAt.Add(time.Minute)
	}
	r.upsertCheckRun(c)
	return c
}

func (r *Repo) upsertCheckRun(c CheckRun) {
	for i := range r.checkRuns {
		if r.checkRuns[i].ID == c.ID {
			r.checkRuns[i] = c
			return
		}
	}
	r.checkRuns = append(r.checkRuns, c)
}

// CheckRuns returns every check run on sha (all apps), oldest first.
func (r *Repo) CheckRuns(sha string) []CheckRun {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var out []CheckRun
	for _, c := range r.checkRuns {
		if c.HeadSHA == sha {
			out = append(out, c)
		}
	}
	return out
}

// AddStatus adds a commit status on sha. ID is assigned when 0; Creator defaults to
// "ci-bot"; timestamps default to a fixed time.
func (r *Repo) AddStatus(sha string, st Status) Status {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	return r.addStatus(sha, st)
}

func (r *Repo) addStatus(sha string, st Status) Status {
	if st.ID == 0 {
		r.s.nextID++
		st.ID = r.s.nextID
	}
	if st.Creator == "" {
		st.Creator = "ci-bot"
	}
	if st.State == "" {
		st.State = "pending"
	}
	if st.CreatedAt.IsZero() {
		st.CreatedAt = baseTime.Add(time.Duration(len(r.statuses[sha])) * time.Second)
	}
	if st.UpdatedAt.IsZero() {
		st.UpdatedAt = st.CreatedAt
	}
	r.statuses[sha] = append(r.statuses[sha], st)
	return st
}

// SetPermission sets login's permission on the repo: admin, maintain, write, triage, read or none.
func (r *Repo) SetPermission(login, perm string) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.permissions[strings.ToLower(login)] = perm
}

// SetCommitPulls sets the PRs that GET commits/{sha}/pulls answers for sha.
func (r *Repo) SetCommitPulls(sha string, numbers ...int) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	r.commitPulls[sha] = append([]int(nil), numbers...)
}

// SetTeamMembers sets the active members of team org/slug (replacing earlier members).
func (s *Server) SetTeamMembers(org, slug string, logins ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(org + "/" + slug)
	m := map[string]bool{}
	for _, l := range logins {
		m[strings.ToLower(l)] = true
	}
	s.teams[key] = m
}

// resolveRef maps a branch name to its SHA when known (branches, PR heads, PR bases).
// Call with s.mu held.
func (r *Repo) resolveRef(ref string) string {
	ref = strings.TrimPrefix(ref, "refs/heads/")
	if sha, ok := r.branches[ref]; ok {
		return sha
	}
	if _, ok := r.commits[ref]; ok {
		return ref
	}
	nums := make([]int, 0, len(r.prs))
	for n := range r.prs {
		nums = append(nums, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(nums)))
	for _, n := range nums {
		p := r.prs[n]
		if p.State == "open" && p.HeadRef == ref && p.HeadSHA != "" {
			return p.HeadSHA
		}
	}
	return ref
}

// OwnCheckRuns returns the current state of the check runs the app created on repo.
func (s *Server) OwnCheckRuns(repo string) []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repos[strings.ToLower(repo)]
	if r == nil {
		return nil
	}
	var out []CheckRun
	for _, c := range r.checkRuns {
		if c.AppID == s.AppID {
			out = append(out, cloneCheckRun(c))
		}
	}
	return out
}

// CheckRunWrites returns every POST/PATCH of a check run on repo, in order.
func (s *Server) CheckRunWrites(repo string) []CheckRunWrite {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]CheckRunWrite(nil), s.checkWrites[strings.ToLower(repo)]...)
}

// DeploymentReviews returns every POST to a deployment protection rule callback, in order.
func (s *Server) DeploymentReviews() []DeploymentReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DeploymentReview(nil), s.deploymentReviews...)
}

func cloneCheckRun(c CheckRun) CheckRun {
	c.Output.Annotations = append([]Annotation(nil), c.Output.Annotations...)
	c.Actions = append([]CheckRunAction(nil), c.Actions...)
	return c
}

// baseTime is the fixed time used for defaults, so that answers and payloads are stable.
var baseTime = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
