package policy

import "regexp"

// Policy is a parsed, validated policy: the org baseline merged with a repo file, or
// either alone. Globs and regular expressions are compiled at parse time so that
// evaluation, which runs on every webhook, does no compiling.
type Policy struct {
	Version     int
	Rules       []*Rule
	Deployments []*DeploymentRule
	digest      string // computed once by Parse and Merge: Evaluate reports it on every call
}

// Origin says which file a rule came from, so a reader of a decision knows whether a
// repo admin can change the rule or only the org admin can.
type Origin string

// The two origins of a rule.
const (
	OriginBaseline Origin = "baseline"
	OriginRepo     Origin = "repo"
)

// Rule is one entry of `rules:`. Every rule that applies to a change must pass.
type Rule struct {
	Name        string
	Origin      Origin
	File        string
	Line, Col   int // position of the rule's name (or the rule itself): merge errors point here
	Branches    []Glob
	Paths       []Glob
	IgnorePaths []Glob
	Approvals   *Approvals
	Checks      []CheckReq
	Ticket      *Ticket
	Emergency   *Emergency // nil: no emergency can be declared for this rule
	Rego        *Rego      // a requirement written in Rego (rego.go)
}

// Approvals is the four-eyes requirement of a rule.
type Approvals struct {
	Count                   int
	Users                   []string
	Teams                   []string
	Permission              string // minimum repository permission; "" means no floor
	IndependentOf           []string
	OnHead                  bool
	BlockOnChangesRequested bool
	// Derived at parse time so evaluation does not re-scan IndependentOf.
	notCommitters, notCoAuthors, notPushers bool
}

// CheckReq names one required check, optionally pinned to the app that must post it.
type CheckReq struct {
	Name string `json:"name"`
	App  string `json:"app,omitempty"`
}

// Ticket requires a change-ticket reference somewhere in the pull request.
type Ticket struct {
	Pattern string
	In      []string
	Verify  *TicketVerify // nil: the reference alone is enough
	re      *regexp.Regexp
	first   firstBytes
}

// DeploymentRule is one entry of `deployments:`.
type DeploymentRule struct {
	Name           string
	Origin         Origin
	File           string
	Line, Col      int
	Environments   []Glob
	ApprovedChange bool
	// AllowEmergency lets approved_change accept a PR merged under an emergency
	// declaration (its independent review still to come).
	AllowEmergency      bool
	IndependentDeployer bool
	Checks              []CheckReq
	ChangeRequest       *ChangeRequestReq // require.change_request
}

// Permission levels in increasing order of power; the index is the rank.
var permissionRank = map[string]int{"none": 0, "read": 1, "triage": 2, "write": 3, "maintain": 4, "admin": 5}

// Values accepted by independent_of and ticket.in.
var (
	independentOfValues = []string{"author", "committers", "co_authors", "pushers"}
	ticketInValues      = []string{"title", "body", "branch", "commits"}
)
