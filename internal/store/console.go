package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Scope is what one console session may see: every repository of Orgs, and Repos
// (owner/name). Every console query takes one and applies it in SQL, so a repository
// outside it never reaches a list, a count or a download. The zero Scope sees nothing.
type Scope struct {
	Orgs  []string `json:"orgs,omitempty"`
	Repos []string `json:"repos,omitempty"`
}

// Empty says whether the scope sees nothing.
func (s Scope) Empty() bool { return len(s.Orgs) == 0 && len(s.Repos) == 0 }

// Allows says whether the scope includes repo (owner/name), with GitHub's
// case-insensitive names.
func (s Scope) Allows(repo string) bool {
	owner, _, ok := strings.Cut(repo, "/")
	if !ok {
		return false
	}
	for _, o := range s.Orgs {
		if strings.EqualFold(o, owner) {
			return true
		}
	}
	for _, r := range s.Repos {
		if strings.EqualFold(r, repo) {
			return true
		}
	}
	return false
}

// where is the scope as a condition on col. An org is a range of the index on
// repository ("acme/" <= repository < "acme0", '0' following '/'), so a large scope
// stays an index scan. Names are compared as recorded (GitHub's spelling of webhooks).
func (s Scope) where(col string) (string, []any) {
	var (
		conds []string
		args  []any
	)
	for _, o := range s.Orgs {
		if o == "" || strings.Contains(o, "/") {
			continue
		}
		conds = append(conds, "("+col+" >= ? AND "+col+" < ?)")
		args = append(args, o+"/", o+"0")
	}
	var repos []string
	for _, r := range s.Repos {
		if strings.Count(r, "/") == 1 {
			repos = append(repos, r)
		}
	}
	if len(repos) > 0 {
		conds = append(conds, col+" IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(repos)), ", ")+")")
		for _, r := range repos {
			args = append(args, r)
		}
	}
	if len(conds) == 0 {
		return "1 = 0", nil
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// Session is one console login, kept server-side so every replica serves it. It holds
// who logged in and what GitHub said they may see; never a GitHub token.
type Session struct {
	TokenHash string // SHA-256 (hex) of the cookie's token; the token itself is not stored
	UserID    int64
	Login     string
	CSRF      string // the token every form of this session posts back
	CreatedAt time.Time
	ExpiresAt time.Time // at most console.session_ttl after CreatedAt; never extended
	CheckedAt time.Time // when Access was last read from GitHub
	Access    json.RawMessage
}

// PendingLogin is a GitHub login under way: the OAuth state (hashed) names the PKCE
// verifier and where to return; it is used once.
type PendingLogin struct {
	StateHash string
	Verifier  string
	ReturnTo  string
	CreatedAt time.Time
}

// Sessions keeps console sessions and logins under way.
type Sessions interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s Session) error
	// GetSession returns the session whose token hashes to tokenHash, or ErrNotFound
	// when there is none or it expired at now.
	GetSession(ctx context.Context, tokenHash string, now time.Time) (Session, error)
	// UpdateSessionAccess records a fresh authorization check.
	UpdateSessionAccess(ctx context.Context, tokenHash string, checkedAt time.Time, access json.RawMessage) error
	// DeleteSession ends one session (logout); unknown sessions are no error.
	DeleteSession(ctx context.Context, tokenHash string) error
	// DeleteUserSessions ends every session of a GitHub user (authorization revoked) and
	// returns how many there were.
	DeleteUserSessions(ctx context.Context, userID int64) (int64, error)
	// PutLogin stores a login under way.
	PutLogin(ctx context.Context, l PendingLogin) error
	// TakeLogin returns and removes the login of stateHash; ErrNotFound when unknown,
	// already used, or created before notBefore.
	TakeLogin(ctx context.Context, stateHash string, notBefore time.Time) (PendingLogin, error)
	// PruneSessions removes sessions expired at now and logins created before
	// loginsBefore.
	PruneSessions(ctx context.Context, now, loginsBefore time.Time) error
}

// Period is a span of whole UTC days: Since inclusive, Until exclusive.
type Period struct {
	Since time.Time
	Until time.Time
}

// RepoPosture is how the controls operated on one repository in a period.
type RepoPosture struct {
	Repo           string
	Merged         int64 // merge records
	MergedPass     int64 // merges whose standing decision was a pass on the merged head
	Violations     int64 // merges without a passing decision
	DeployApproved int64
	DeployRejected int64
	Decisions      int64 // PR decisions
	NoPolicy       bool  // a PR decision was taken without any policy
	Exceptions     int64 // violations, rejected and bypassed deployments
	OpenExceptions int64 // of those, without a review note
}

// DayPosture is the merges of one UTC day, for the charts.
type DayPosture struct {
	Day        string // YYYY-MM-DD
	Merged     int64
	MergedPass int64
}

// Posture is the console's first page: per repository and per day.
type Posture struct {
	Repos []RepoPosture // by repository name
	Days  []DayPosture  // by day; days without merges are absent
}

// PopulationQuery selects records for the console's changes page: a period, filters,
// and a page that ends before BeforeSeq (0: the newest), newest first.
type PopulationQuery struct {
	Scope     Scope
	Period    Period
	Repo      string
	Kinds     []Kind
	Actor     string
	Outcome   string
	BeforeSeq int64
	Limit     int
}

// Exception is a record that needs an explanation, with the review notes on it.
type Exception struct {
	Record
	Exception string   // violation, rejected or bypassed
	Notes     []Record // review_note records on it, oldest first
}

// Console is the read side of the compliance console. Every method takes the
// session's scope and filters by it in SQL.
type Console interface {
	// PostureOf aggregates the period per repository and per day (from summary tables
	// the append keeps, so it costs the same on a large log).
	PostureOf(ctx context.Context, scope Scope, p Period) (Posture, error)
	// Population returns one page of records without their documents, newest first.
	Population(ctx context.Context, q PopulationQuery) ([]Record, error)
	// CountPopulation counts every record the query selects (ignoring its page).
	CountPopulation(ctx context.Context, q PopulationQuery) (int64, error)
	// Exceptions returns the exceptions of the period, newest first, at most limit, with
	// their notes; open keeps only those without a note.
	Exceptions(ctx context.Context, scope Scope, p Period, open bool, limit int) ([]Exception, error)
	// ExceptionBySeq returns one exception in scope, or ErrNotFound.
	ExceptionBySeq(ctx context.Context, scope Scope, seq int64) (Exception, error)
}

// ReviewNoteSubject is the Subject of a review note on the record seq.
func ReviewNoteSubject(seq int64) string { return "seq:" + itoa(seq) }
