package facts

import (
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Defaults of a Gatherer. The limits are GitHub's own: the pull request commits endpoint
// lists at most 250 commits and the files endpoint at most 3000 files.
const (
	DefaultTTL        = 10 * time.Minute
	DefaultMaxCommits = 250
	DefaultMaxFiles   = 3000
	// DefaultCacheEntries bounds each SHA-keyed cache so a long-running server does not
	// grow without limit; an evicted entry only costs a refetch.
	DefaultCacheEntries = 4096
)

// Gatherer fetches Facts from GitHub. It keeps in-memory caches and is safe for concurrent
// use by several workers; one Gatherer serves every installation.
type Gatherer struct {
	ttl          time.Duration
	maxCommits   int
	maxFiles     int
	cacheEntries int
	now          func() time.Time

	commits     *lru[commitsEntry] // key: owner/repo#number@headSHA...baseSHA
	files       *lru[filesEntry]   // key: owner/repo@headSHA...baseSHA
	permissions *lru[string]       // key: owner/repo\x00login, with TTL
	memberships *lru[bool]         // key: org/slug\x00login, with TTL
	profiles    *lru[profile]      // key: lower-case login, with TTL (public name and e-mail)
}

// Option configures a Gatherer.
type Option func(*Gatherer)

// WithTTL sets how long a permission or team membership answer is trusted. Both can change
// at any time on GitHub without a webhook foureyes listens to, so the TTL bounds how stale
// a reviewer's eligibility can be.
func WithTTL(d time.Duration) Option { return func(g *Gatherer) { g.ttl = d } }

// WithMaxCommits sets the commit cap (at most GitHub's 250).
func WithMaxCommits(n int) Option { return func(g *Gatherer) { g.maxCommits = n } }

// WithMaxFiles sets the changed-file cap (at most GitHub's 3000).
func WithMaxFiles(n int) Option { return func(g *Gatherer) { g.maxFiles = n } }

// WithCacheEntries bounds every in-memory cache to n entries (least recently used out).
func WithCacheEntries(n int) Option { return func(g *Gatherer) { g.cacheEntries = n } }

// WithClock replaces time.Now for the TTL caches, so tests move time instead of sleeping.
func WithClock(now func() time.Time) Option { return func(g *Gatherer) { g.now = now } }

// New returns a Gatherer with the defaults, changed by opts.
func New(opts ...Option) *Gatherer {
	g := &Gatherer{
		ttl:          DefaultTTL,
		maxCommits:   DefaultMaxCommits,
		maxFiles:     DefaultMaxFiles,
		cacheEntries: DefaultCacheEntries,
		now:          time.Now,
	}
	for _, o := range opts {
		o(g)
	}
	// GitHub never lists more than its own caps, so a larger cap would hide truncation.
	if g.maxCommits <= 0 || g.maxCommits > DefaultMaxCommits {
		g.maxCommits = DefaultMaxCommits
	}
	if g.maxFiles <= 0 || g.maxFiles > DefaultMaxFiles {
		g.maxFiles = DefaultMaxFiles
	}
	if g.cacheEntries <= 0 {
		g.cacheEntries = DefaultCacheEntries
	}
	g.commits = newLRU[commitsEntry](g.cacheEntries)
	g.files = newLRU[filesEntry](g.cacheEntries)
	g.permissions = newLRU[string](g.cacheEntries)
	g.memberships = newLRU[bool](g.cacheEntries)
	g.profiles = newLRU[profile](g.cacheEntries)
	return g
}

// PROptions is what the caller already knows about a pull request.
type PROptions struct {
	// PR is the pull request from the webhook payload, when there is one: it saves a GET.
	// Its head and base SHAs define what is gathered.
	PR *github.PullRequest
	// Pushes are the recorded pushes of the PR (store.Pushes.ListPushes). Only those whose
	// After is a commit of the PR are kept.
	Pushes []store.Push
	// Declarations are the PR's recorded emergency declarations (`emergency` audit
	// records), oldest first; they become Facts.Emergency as they are.
	Declarations []policy.Declaration
	// NeedUsers names the users whose permission and teams the policy needs, given the
	// Facts gathered so far (normally (*policy.Policy).RelevantUsers). Nil: nobody.
	NeedUsers func(policy.Facts) []string
	// Teams are the teams the policy names, as "org/slug". Membership is checked only for
	// these.
	Teams []string
	// Reviews and Checks, when not nil, are what the caller already knows (webhook
	// payloads applied to the last read): they are used instead of reading GitHub. The
	// caller confirms them by a read before any green decision.
	Reviews *[]policy.Review
	Checks  *[]policy.Check
	// CachedUsersOnly asks for no permission or membership read: users whose answers
	// are not all cached are left out of Facts.Users and named in Stats.UnknownUsers.
	// For a pass on webhook-derived state, which is confirmed (with those users) before
	// any decision from it is shown.
	CachedUsersOnly bool
}

// ForgetUser drops every cached permission and team membership of login, e.g. when a
// membership or member webhook says they changed.
func (g *Gatherer) ForgetUser(login string) {
	suffix := "\x00" + login
	g.permissions.deleteSuffix(suffix)
	g.memberships.deleteSuffix(suffix)
}
