// Package evaluate is the path of one evaluation: load the base branch's policy, gather
// the Facts, decide, append the decision to the audit log, then show it as the foureyes
// check run. The audit record always comes first: every check run GitHub shows has an
// audit record behind it.
package evaluate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/hashicorp/golang-lru/v2/expirable"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/metrics"
	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Evaluator evaluates pull requests and merge groups.
type Evaluator struct {
	Clients   githubapp.ClientCreator
	Store     store.Store
	Gatherer  *facts.Gatherer
	Policies  *PolicyLoader
	Metrics   *metrics.Metrics
	CheckName string
	Missing   string // what a repository without policy gets: neutral or failure
	Now       func() time.Time
	// Tickets reads the Jira/ServiceNow tickets ticket.verify needs (tickets.go).
	Tickets facts.TicketReader
	// TicketsRead, when set, is told after each published decision which tickets it read.
	TicketsRead TicketObserver
	// Fleet says several replicas may share the deliveries (a PostgreSQL store): the
	// webhook-derived state of derived.go only holds the payloads this process saw, so it
	// is not used and every evaluation reads GitHub. (A replica that missed the payload of
	// a green check would otherwise show a stale failure until the state expires.)
	Fleet bool
	// AppID is foureyes' own GitHub App id: on a fleet, a run on a head that the store
	// does not know is looked up among this app's runs before one is created.
	AppID int64

	// keptPolicies are the policy digests whose inputs this process has stored.
	keptPolicies sync.Map

	// locks serialise evaluations of the same PR inside this process (the coalescer, the
	// sweeper and merge groups may ask at once), so one head SHA never gets two runs.
	locks [64]sync.Mutex

	// memory of each PR's last decision, for skipping events that cannot change it
	// (skip.go).
	memoOnce sync.Once
	memory   *expirable.LRU[string, remembered]
	// webhook-derived state of each PR (derived.go) and the loaded-policy cache (policymemo.go).
	stateOnce  sync.Once
	stateLRU   *expirable.LRU[string, *prState]
	policyOnce sync.Once
	policyLRU  *expirable.LRU[string, Loaded]

	// Budget (may be nil) follows each installation's rate limit: Fresh (background)
	// evaluations wait while it is low.
	Budget *ghclient.Budget
	// GraphQLURL is GitHub's GraphQL endpoint (github.v4_api_url): a green is confirmed
	// with one GraphQL read there (confirm_graphql.go). Empty: confirmed by REST reads.
	GraphQLURL string
	// graphqlOffUntil (unix nanoseconds) pauses GraphQL after the endpoint was missing
	// or refused the query.
	graphqlOffUntil atomic.Int64
	// graphqlUnusable counts GraphQL answers in a row that could not be used.
	graphqlUnusable atomic.Int64
}

func (e *Evaluator) lock(t Target) func() {
	h := fnv.New32a()
	fmt.Fprintf(h, "%s/%s#%d", t.Owner, t.Repo, t.Number)
	m := &e.locks[h.Sum32()%uint32(len(e.locks))]
	m.Lock()
	return m.Unlock
}

// Target names one pull request.
type Target struct {
	InstallationID int64
	Owner, Repo    string
	Number         int
	DeliveryIDs    []string // the deliveries that asked for this evaluation
	// Fresh reads everything from GitHub, trusting no webhook-derived state and no cached
	// policy: background work (sweeper, policy fan-out) is the backstop of both.
	Fresh bool

	kn *known // webhook-derived state this evaluation may use (derived.go)
}

// deliveryID is the delivery a record of this evaluation names: the first that asked.
func (t Target) deliveryID() string {
	if len(t.DeliveryIDs) == 0 {
		return ""
	}
	return t.DeliveryIDs[0]
}

// Result is one evaluated pull request.
type Result struct {
	PR       *github.PullRequest
	Decision policy.Decision
	Record   store.Record
	Requests int64 // rate-limited GitHub requests spent
}

// PullRequest evaluates one PR and publishes the result. A closed PR is not evaluated.
// The returned error is what the inbox retries (facts.IsTransient).
func (e *Evaluator) PullRequest(ctx context.Context, t Target) (Result, error) {
	if t.Fresh && e.Budget != nil {
		// Background work waits while the installation is below its reserve, so
		// webhook-driven evaluations keep the rest of the rate limit.
		if err := e.Budget.WaitBackground(ctx, t.InstallationID); err != nil {
			return Result{}, err
		}
	}
	defer e.lock(t)()
	fleet, err := e.Store.Lock(ctx, prLockName(t))
	if err != nil {
		return Result{}, fmt.Errorf("lock %s/%s#%d: %w", t.Owner, t.Repo, t.Number, err)
	}
	defer fleet.Release()
	ctx = withFleetLock(ctx, fleet)
	start := e.Now()
	ctx, counter := ghclient.WithCounter(ghclient.WithInstallation(ctx, t.InstallationID))
	client, err := e.Clients.NewInstallationClient(t.InstallationID)
	if err != nil {
		return Result{}, fmt.Errorf("installation client %d: %w", t.InstallationID, err)
	}
	full := t.Owner + "/" + t.Repo
	kn := e.derived(full, t.Number, t.Fresh)
	t.kn = &kn
	pr := kn.pr
	if pr == nil {
		if pr, err = e.getPR(ctx, client, t); err != nil {
			e.forgetState(full, t.Number)
			return Result{}, err
		}
	}
	ctx, logger := githubapp.PreparePRContext(ctx, t.InstallationID, pr.GetBase().GetRepo(), t.Number)
	logger = logger.With().Str("github_sha", pr.GetHead().GetSHA()).Logger()
	ctx = logger.WithContext(ctx)
	if err := e.rememberPR(ctx, t, pr); err != nil {
		return Result{}, err
	}
	if pr.GetState() != "open" {
		e.Forget(full, t.Number)
		e.forgetState(full, t.Number)
		logger.Debug().Msg("pull request is closed: not evaluated")
		return Result{PR: pr}, nil
	}
	d, err := e.decide(ctx, client, t, pr)
	if err != nil {
		e.forgetState(full, t.Number)
		return Result{}, err
	}
	if (green(d) || len(d.unknownUsers) > 0) && kn.derivedAny() {
		// Never green from webhook-derived state alone: read the PR, its reviews and its
		// check results again and decide from that read. A derived pass that met a user
		// whose permission is not cached (a new reviewer) is confirmed too, rather than
		// reading the permission first: the confirming read looks it up in the same
		// request.
		e.Metrics.Confirmations.Inc()
		head := pr.GetHead().GetSHA()
		if pr, t.kn, err = e.confirm(ctx, client, t, pr, kn, d.Facts, d.unknownUsers); err != nil {
			e.forgetState(full, t.Number)
			return Result{}, err
		}
		if pr.GetHead().GetSHA() != head {
			t.kn = &known{} // pushed meanwhile: read everything of the new head
		}
		if err := e.rememberPR(ctx, t, pr); err != nil {
			return Result{}, err
		}
		if pr.GetState() != "open" {
			e.Forget(full, t.Number)
			e.forgetState(full, t.Number)
			return Result{PR: pr}, nil
		}
		if d, err = e.decide(ctx, client, t, pr); err != nil {
			e.forgetState(full, t.Number)
			return Result{}, err
		}
	}
	rec, err := e.record(ctx, t, pr, d)
	if err != nil {
		return Result{}, err
	}
	if err := e.publishHead(ctx, client, t, pr, d, rec); err != nil {
		return Result{}, err
	}
	e.remember(t, pr, d)
	e.ticketsRead(t, d)
	e.storeState(full, t.Number, kn, pr, d.Facts)
	elapsed := e.Now().Sub(start)
	e.Metrics.Decisions.WithLabelValues(string(d.Decision.Outcome)).Inc()
	e.Metrics.EvaluationSeconds.Observe(elapsed.Seconds())
	e.Metrics.EvaluationRequests.Observe(float64(counter.Requests()))
	logger.Info().Str("outcome", string(d.Decision.Outcome)).Str("title", d.Decision.Title).
		Int64("github_requests", counter.Requests()).Int64("github_not_modified", counter.NotModified()).
		Dur("elapsed", elapsed).Int64("audit_seq", rec.Seq).Msg("pull request evaluated")
	return Result{PR: pr, Decision: d.Decision, Record: rec, Requests: counter.Requests()}, nil
}

// decided is a decision with what produced it and how to show it.
type decided struct {
	Decision    policy.Decision
	Facts       *policy.Facts
	Source      store.PolicySource
	Kind        store.Kind
	output      report.Output
	annotations []report.Annotation
	baseline    string        // the baseline that applied (PolicyLoader.Load), named in the check run
	reads       *policy.Reads // what the policy reads; nil when it is broken
	// inputs are the policy files as read, stored under digest (the record's policy
	// digest) for re-performance; nil for a policy error.
	inputs *policy.PolicyInputs
	digest string
	// unknownUsers are users the policy needed whose permission was not cached, in a
	// pass that did not read them (facts.PROptions.CachedUsersOnly): never shown as is.
	unknownUsers []string
}

// decide loads the policy from the base branch, gathers the facts and evaluates.
func (e *Evaluator) decide(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest) (decided, error) {
	loaded, err := e.loadPolicy(ctx, client, t, pr.GetBase().GetRef())
	if err != nil {
		return decided{}, err
	}
	if loaded.Err != nil {
		d := policy.ErrorDecision(loaded.Err)
		out := report.CheckRun(d)
		out.Conclusion = "failure" // a broken policy never lets a change through
		res := decided{Decision: d, Source: loaded.Source, Kind: store.KindPolicyError, output: out, baseline: loaded.Baseline}
		var perrs policy.Errors
		if errors.As(loaded.Err, &perrs) {
			// A file that does not parse or merge: re-performable from the files as read
			// (an unreadable org file is not: nothing was read).
			inputs := loaded.Inputs
			inputs.Missing = e.Missing
			res.inputs, res.digest = &inputs, policy.InputsDigest(inputs)
		}
		return res, nil
	}
	pushes, err := e.Store.ListPushes(ctx, t.Owner+"/"+t.Repo, t.Number, pr.GetHead().GetRef())
	if err != nil {
		return decided{}, fmt.Errorf("list recorded pushes: %w", err)
	}
	decls, err := e.declarations(ctx, t.Owner+"/"+t.Repo, t.Number)
	if err != nil {
		return decided{}, err
	}
	opt := factsOptions(pr, pushes, decls, loaded.Policy)
	if t.kn != nil {
		opt.Reviews, opt.Checks = t.kn.reviews, t.kn.checks
		// A pass on webhook-derived state is confirmed before anything green is shown,
		// and the GraphQL confirmation reads unknown permissions in its one request
		// (confirm). Without GraphQL, reading the permission is cheaper than confirming.
		opt.CachedUsersOnly = t.kn.derivedAny() && !t.kn.confirmed && e.graphqlUsable()
	}
	f, st, err := e.Gatherer.PullRequest(ctx, client, t.Owner, t.Repo, t.Number, opt)
	if err != nil {
		return decided{}, err
	}
	e.addTickets(ctx, loaded.Policy, &f)
	if f.PolicyFile, err = e.policyFileAtHead(ctx, client, t, pr, f); err != nil {
		return decided{}, err
	}
	d := policy.DecidePR(policy.PRInput{Policy: loaded.Policy, Baseline: e.Policies.Baseline(), Missing: e.Missing,
		Path: e.Policies.Path(), Facts: f})
	out := report.CheckRun(d)
	if loaded.Missing && e.Missing == "failure" {
		out.Conclusion = "failure"
	}
	reads := loaded.Policy.Reads() // nil policy (none at all): reads nothing
	inputs := loaded.Inputs
	inputs.Missing = e.Missing
	res := decided{Decision: d, Facts: &f, Source: loaded.Source, Kind: store.KindPRDecision, output: out, baseline: loaded.Baseline,
		reads: &reads, inputs: &inputs, digest: d.PolicyDigest, unknownUsers: st.UnknownUsers}
	if loaded.Missing {
		res.digest = policy.MissingDigest(e.Missing)
	}
	if errs := policy.PolicyFileErrors(e.Policies.Baseline(), f.PolicyFile); errs != nil {
		res.annotations = report.Annotations(errs)
	}
	return res, nil
}

// policyFileAtHead reads the policy file as the PR leaves it, when the PR changes it: a
// fact of the decision (policy.DecidePR validates it).
func (e *Evaluator) policyFileAtHead(ctx context.Context, client *github.Client, t Target, pr *github.PullRequest, f policy.Facts) (*policy.PolicyFileChange, error) {
	path := e.Policies.Path()
	if !slices.Contains(f.ChangedFiles, path) && !changesRego(f.ChangedFiles) {
		return nil, nil
	}
	file, _, resp, err := client.Repositories.GetContents(ctx, t.Owner, t.Repo, path, &github.RepositoryContentGetOptions{Ref: pr.GetHead().GetSHA()})
	if resp != nil && resp.StatusCode == 404 {
		return &policy.PolicyFileChange{Path: path, Deleted: true}, nil // the org default or baseline will apply
	}
	if err != nil {
		return nil, fmt.Errorf("read %s at the PR head: %w", path, err)
	}
	content, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decode %s at the PR head: %w", path, err)
	}
	change := &policy.PolicyFileChange{Path: path, Content: content}
	// The file: Rego modules as the PR would leave them (regoload.go).
	if change.Rego, err = e.Policies.regoAt(ctx, client, t.Owner, t.Repo, pr.GetHead().GetSHA(), []byte(content)); err != nil {
		return nil, err
	}
	return change, nil
}

// keepPolicyInputs stores the policy inputs of a decision once per digest, before the
// decision is appended, so every recorded decision can be re-performed.
func (e *Evaluator) keepPolicyInputs(ctx context.Context, d decided) error {
	pt, ok := e.Store.(store.PolicyTexts)
	if !ok || d.inputs == nil || d.digest == "" {
		return nil
	}
	if _, done := e.keptPolicies.Load(d.digest); done {
		return nil
	}
	if err := pt.PutPolicyText(ctx, d.digest, d.inputs.JSON()); err != nil {
		return err
	}
	e.keptPolicies.Store(d.digest, true)
	return nil
}

// record appends the decision to the audit log.
func (e *Evaluator) record(ctx context.Context, t Target, pr *github.PullRequest, d decided) (store.Record, error) {
	var factsJSON json.RawMessage
	if d.Facts != nil {
		b, err := json.Marshal(d.Facts)
		if err != nil {
			return store.Record{}, fmt.Errorf("encode facts: %w", err)
		}
		factsJSON = b
	}
	deliveryID := t.deliveryID()
	if err := e.keepPolicyInputs(ctx, d); err != nil {
		return store.Record{}, err
	}
	rec, err := e.appendDecision(ctx, store.Record{
		Kind: d.Kind, DeliveryID: deliveryID, Installation: t.InstallationID,
		Repository: t.Owner + "/" + t.Repo, PR: t.Number, SHA: pr.GetHead().GetSHA(),
		Actor: pr.GetUser().GetLogin(), Outcome: string(d.Decision.Outcome),
		PolicyDigest: d.recordDigest(), PolicySource: d.Source,
		Facts: factsJSON, Decision: d.Decision.JSON(),
	})
	if err != nil {
		return store.Record{}, fmt.Errorf("append decision to the audit log: %w", err)
	}
	return rec, nil
}

func (e *Evaluator) rememberPR(ctx context.Context, t Target, pr *github.PullRequest) error {
	err := e.Store.UpsertPR(ctx, store.PR{
		Repo: t.Owner + "/" + t.Repo, Number: t.Number, InstallationID: t.InstallationID,
		HeadSHA: pr.GetHead().GetSHA(), HeadRef: pr.GetHead().GetRef(), BaseRef: pr.GetBase().GetRef(),
		Open: pr.GetState() == "open", LastEventAt: e.Now().UTC(),
	})
	if err != nil {
		return fmt.Errorf("remember pull request: %w", err)
	}
	return nil
}

// Log is the logger of ctx, for callers outside this package.
func Log(ctx context.Context) *zerolog.Logger { return zerolog.Ctx(ctx) }

// factsOptions says what the gatherer needs for pr under policy p (nil: no policy).
func factsOptions(pr *github.PullRequest, pushes []store.Push, decls []policy.Declaration, p *policy.Policy) facts.PROptions {
	opt := facts.PROptions{PR: pr, Pushes: pushes, Declarations: decls}
	if p != nil {
		opt.NeedUsers = p.RelevantUsers
		opt.Teams = p.Teams()
	}
	return opt
}

// recordDigest is the policy digest the decision's record names: the merged policy's, or
// policy.MissingDigest for a decision without any policy.
func (d decided) recordDigest() string {
	if d.digest != "" {
		return d.digest
	}
	return d.Decision.PolicyDigest
}
