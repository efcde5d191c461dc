package policy

// Facts is the one document the policy sees: plain data gathered from GitHub and from
// foureyes' own store. The JSON field names are part of the audit format (DESIGN.md,
// "Facts"): the audit log records Facts as the evidence of each decision, and
// `foureyes policy eval --facts` reads them, so renaming a field breaks old evidence.
type Facts struct {
	Repository   string          `json:"repository"`
	PullRequest  PullRequest     `json:"pull_request"`
	Commits      []Commit        `json:"commits"`
	Pushes       []Push          `json:"pushes"`
	Reviews      []Review        `json:"reviews"`
	Checks       []Check         `json:"checks"`
	ChangedFiles []string        `json:"changed_files"`
	Users        map[string]User `json:"users"`
	// Truncated says which lists GitHub could not give in full (over 250 commits, over
	// 3000 files): a requirement that depends on a truncated list cannot pass.
	Truncated *Truncated `json:"truncated,omitempty"`
	// Emergency holds the `/foureyes emergency` declarations made on the PR, oldest
	// first, as recorded in the audit log (`emergency` records).
	Emergency []Declaration `json:"emergency,omitempty"`
	// Tickets are the change tickets `ticket.verify` needs, keyed by reference (PAY-12,
	// CHG0001234), as read from Jira or ServiceNow at decision time.
	Tickets map[string]TicketSnapshot `json:"tickets,omitempty"`
	// Version is the version of this document's format (FactsVersion); 0 in facts
	// recorded before it existed. Every field is documented in docs/facts.md and
	// policy/facts.schema.json: a new field is added to both (a test checks).
	Version int `json:"version"`
	// UnresolvedCoAuthors are the Co-authored-by trailers that matched no GitHub account
	// (not a noreply e-mail, not an e-mail GitHub mapped in the PR's commits, not a
	// reviewer's public name or e-mail). They are listed in the check run, and under
	// `independent_of: [co_authors]` they exclude every reviewer they could be.
	UnresolvedCoAuthors []UnresolvedCoAuthor `json:"unresolved_co_authors,omitempty"`
	// PolicyFile is the repository's policy file as the PR leaves it, when the PR changes
	// it: DecidePR validates it, so a broken or baseline-weakening file fails the check.
	PolicyFile *PolicyFileChange `json:"policy_file,omitempty"`
}

// PolicyFileChange is the policy file at the PR's head.
type PolicyFileChange struct {
	Path    string `json:"path"`
	Content string `json:"content"`           // the file at the head, as read
	Deleted bool   `json:"deleted,omitempty"` // the PR removes it (the baseline applies)
	// Rego holds the `file:` modules the file names, as they are at the head (path to
	// text); a missing module is absent.
	Rego map[string]string `json:"rego,omitempty"`
}

// UnresolvedCoAuthor is one Co-authored-by trailer that names no known account.
type UnresolvedCoAuthor struct {
	Commit string `json:"commit"` // the SHA of the commit whose message holds it
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// Truncated marks lists that were cut at foureyes' fetch limits.
type Truncated struct {
	Commits bool `json:"commits,omitempty"`
	Files   bool `json:"files,omitempty"`
}

// PullRequest is the pull request as GitHub reports it.
type PullRequest struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Author string `json:"author"`
	Draft  bool   `json:"draft"`
	State  string `json:"state"`
	Merged bool   `json:"merged"`
	Base   GitRef `json:"base"`
	Head   GitRef `json:"head"`
}

// GitRef is a branch name and the SHA it pointed at when the facts were gathered.
type GitRef struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

// Commit is one commit of the pull request. Author and Committer are GitHub logins
// (empty when GitHub could not map the e-mail to an account).
type Commit struct {
	SHA       string   `json:"sha"`
	Parents   []string `json:"parents"`
	Author    string   `json:"author"`
	Committer string   `json:"committer"`
	CoAuthors []string `json:"co_authors"`
	Message   string   `json:"message"`
	Verified  bool     `json:"verified"`
	// AuthorEmail and CommitterEmail (lower case) let ticket.verify recognise an
	// approver who wrote the change by e-mail, without a GitHub login.
	AuthorEmail    string `json:"author_email,omitempty"`
	CommitterEmail string `json:"committer_email,omitempty"`
}

// Push is one recorded push to the pull request's head branch. GitHub cannot say who
// pushed after the fact, so foureyes stores these when the webhook arrives.
type Push struct {
	Before string `json:"before"`
	After  string `json:"after"`
	Pusher string `json:"pusher"`
	At     string `json:"at"` // RFC 3339, UTC
}

// Review is one pull request review. State is upper case as in the REST API:
// APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED, PENDING.
type Review struct {
	ID          int64  `json:"id"`
	User        string `json:"user"`
	State       string `json:"state"`
	CommitID    string `json:"commit_id"`
	SubmittedAt string `json:"submitted_at"` // RFC 3339, UTC
}

// Check is one check run or commit status on the head SHA.
type Check struct {
	Name   string `json:"name"`   // check run name, or status context
	Source string `json:"source"` // "check_run" or "status"
	// Check runs.
	App        string `json:"app,omitempty"` // app slug
	AppID      int64  `json:"app_id,omitempty"`
	Status     string `json:"status,omitempty"`     // queued, in_progress, completed
	Conclusion string `json:"conclusion,omitempty"` // success, failure, neutral, ...
	// Commit statuses.
	State   string `json:"state,omitempty"` // success, failure, error, pending
	Creator string `json:"creator,omitempty"`
	// ID and UpdatedAt order results with the same name: the latest one counts.
	ID        int64  `json:"id,omitempty"`
	UpdatedAt string `json:"updated_at,omitempty"` // RFC 3339, UTC
}

// User is what foureyes knows of a reviewer who matters to the decision.
type User struct {
	Permission string   `json:"permission"` // none, read, triage, write, maintain, admin
	Teams      []string `json:"teams"`      // "org/slug", only teams the policy names
	// Name and Email are the reviewer's public profile (GET /users/{login}), read when a
	// co-author trailer could not be resolved; empty when not public or not read. A
	// reviewer whose public name and e-mail both differ from an unresolved trailer is
	// not that co-author; anyone else could be (docs/policy.md, "co_authors").
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}
