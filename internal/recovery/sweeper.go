package recovery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// Checkpoint keys the sweeper keeps in the store.
const (
	// CheckpointSweepLast holds the time (RFC 3339) the last complete sweep finished.
	CheckpointSweepLast = "sweep:last"
	// CheckpointSweepResume holds the last repository a bounded sweep finished; the next
	// sweep starts after it, so every repository gets its turn however many there are.
	CheckpointSweepResume = "sweep:resume"
)

// Sweeper defaults.
const (
	DefaultCheckName       = "foureyes"
	DefaultInProgressLimit = 30 * time.Minute
	// DefaultStaleAfter leaves a day before GitHub marks a run incomplete for 14 days stale.
	DefaultStaleAfter     = 13 * 24 * time.Hour
	DefaultMaxPRs         = 2000
	DefaultMaxEvaluations = 200
)

// SweepStore is what the sweeper needs of the store. store.Store satisfies it.
type SweepStore interface {
	GetCheckRun(ctx context.Context, repo, sha, name string) (store.CheckRun, error)
	GetPR(ctx context.Context, repo string, number int) (store.PR, error)
	store.Checkpoints
}

// Reevaluation is one pull request the sweeper hands to Evaluate.
type Reevaluation struct {
	InstallationID int64
	Repo           string // owner/name
	Number         int
	HeadSHA        string // the head GitHub listed
	Reason         Reason
}

// Sweeper re-evaluates open pull requests whose foureyes check run is missing or out of
// date: what a webhook lost for longer than GitHub keeps deliveries, or lost while the
// reconciler was not running, still gets a current decision.
type Sweeper struct {
	// Installations lists the installations in scope; AppInstallations(appClient) lists all.
	Installations func(ctx context.Context) ([]Installation, error)
	// Clients returns an installation client (ClientCreator.NewInstallationClient).
	Clients func(installationID int64) (*github.Client, error)
	// InScope, when set, limits the sweep to the repositories (owner/name) it accepts.
	InScope func(repo string) bool
	Store   SweepStore
	// Evaluate re-evaluates one PR (or queues it); an error is logged and the sweep goes on.
	Evaluate func(ctx context.Context, r Reevaluation) error

	CheckName       string        // default DefaultCheckName
	InProgressLimit time.Duration // default DefaultInProgressLimit
	StaleAfter      time.Duration // default DefaultStaleAfter
	MaxPRs          int           // open PRs compared per run; default DefaultMaxPRs
	MaxEvaluations  int           // Evaluate calls per run; default DefaultMaxEvaluations
	MinRemaining    int           // skip the rest of an installation below this budget; default 100

	Now     func() time.Time // default time.Now
	Metrics *Metrics
	Log     zerolog.Logger
}

// SweepResult says what one sweep did.
type SweepResult struct {
	Installations int
	Repos         int
	PRsChecked    int
	Reevaluated   []Reevaluation
	Errors        int // Evaluate or listing failures; the sweep went on
	// Skipped names installations left early for their rate limit.
	Skipped []int64
	// Truncated is empty when every repository was swept; otherwise why the run stopped. The
	// next run resumes after the last repository finished.
	Truncated string
}

type sweepRepo struct {
	inst   int64
	client *github.Client
	repo   string
}

func (s *Sweeper) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RunOnce sweeps every repository in scope once, within its bounds.
func (s *Sweeper) RunOnce(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	if s.Installations == nil || s.Clients == nil || s.Store == nil || s.Evaluate == nil {
		return res, errors.New("recovery: sweeper needs Installations, Clients, Store and Evaluate")
	}
	skipped := map[int64]bool{}
	skip := func(inst int64, why string, err error) {
		if !skipped[inst] {
			skipped[inst] = true
			res.Skipped = append(res.Skipped, inst)
			s.Log.Warn().Int64("installation_id", inst).Err(err).Msgf("sweep leaves installation: %s", why)
		}
	}

	repos, err := s.repos(ctx, &res, skip)
	if err != nil {
		return res, err
	}
	resume, err := s.Store.GetCheckpoint(ctx, CheckpointSweepResume)
	if err != nil {
		return res, fmt.Errorf("read checkpoint %s: %w", CheckpointSweepResume, err)
	}
	repos = rotateAfter(repos, resume)
	res.Repos = len(repos)

	lastDone := ""
	for _, r := range repos {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if skipped[r.inst] {
			continue
		}
		if reason := s.bounded(&res); reason != "" {
			res.Truncated = reason
			break
		}
		if err := s.sweepRepo(ctx, r, &res, skip); err != nil {
			return res, err
		}
		if res.Truncated != "" {
			break
		}
		lastDone = r.repo
	}

	next, key := "", CheckpointSweepResume
	if res.Truncated != "" {
		next = lastDone
		if next == "" {
			next = resume // nothing finished: keep the place
		}
	}
	if err := s.Store.SetCheckpoint(ctx, key, next); err != nil {
		return res, fmt.Errorf("write checkpoint %s: %w", key, err)
	}
	if res.Truncated == "" && len(res.Skipped) == 0 {
		if err := s.Store.SetCheckpoint(ctx, CheckpointSweepLast, s.now().UTC().Format(time.RFC3339)); err != nil {
			return res, fmt.Errorf("write checkpoint %s: %w", CheckpointSweepLast, err)
		}
	}
	s.Log.Info().Int("installations", res.Installations).Int("repos", res.Repos).Int("prs_checked", res.PRsChecked).
		Int("reevaluated", len(res.Reevaluated)).Int("errors", res.Errors).Ints64("skipped_installations", res.Skipped).
		Str("truncated", res.Truncated).Msg("sweep done")
	return res, nil
}

// repos lists the repositories in scope of every installation, by name.
func (s *Sweeper) repos(ctx context.Context, res *SweepResult, skip func(int64, string, error)) ([]sweepRepo, error) {
	insts, err := s.Installations(ctx)
	if err != nil {
		if rateLimited(err) {
			res.Truncated = "rate limit while listing installations"
			return nil, nil
		}
		return nil, fmt.Errorf("sweep: %w", err)
	}
	res.Installations = len(insts)
	var out []sweepRepo
	for _, in := range insts {
		client, err := s.Clients(in.ID)
		if err != nil {
			res.Errors++
			skip(in.ID, "no client", err)
			continue
		}
		names := in.Repos
		if names == nil {
			names, _, err = installationRepos(ctx, client)
			if err != nil {
				res.Errors++
				skip(in.ID, "cannot list its repositories", err)
				continue
			}
		}
		for _, n := range names {
			if s.InScope == nil || s.InScope(n) {
				out = append(out, sweepRepo{inst: in.ID, client: client, repo: n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].repo < out[j].repo })
	return out, nil
}

// rotateAfter starts the list after the repository named resume (sorted by name).
func rotateAfter(repos []sweepRepo, resume string) []sweepRepo {
	if resume == "" {
		return repos
	}
	i := sort.Search(len(repos), func(i int) bool { return repos[i].repo > resume })
	return append(append([]sweepRepo{}, repos[i:]...), repos[:i]...)
}

func (s *Sweeper) bounded(res *SweepResult) string {
	switch {
	case res.PRsChecked >= orDefault(s.MaxPRs, DefaultMaxPRs):
		return "max pull requests per run"
	case len(res.Reevaluated) >= orDefault(s.MaxEvaluations, DefaultMaxEvaluations):
		return "max evaluations per run"
	}
	return ""
}

// sweepRepo lists the open PRs of one repository and re-evaluates those out of date.
func (s *Sweeper) sweepRepo(ctx context.Context, r sweepRepo, res *SweepResult, skip func(int64, string, error)) error {
	owner, name, ok := strings.Cut(r.repo, "/")
	if !ok {
		return nil
	}
	limits := SweepLimits{
		InProgressLimit: orDefault(s.InProgressLimit, DefaultInProgressLimit),
		StaleAfter:      orDefault(s.StaleAfter, DefaultStaleAfter),
	}
	checkName := s.CheckName
	if checkName == "" {
		checkName = DefaultCheckName
	}
	opts := &github.PullRequestListOptions{State: "open", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		prs, resp, err := r.client.PullRequests.List(ctx, owner, name, opts)
		if err != nil {
			res.Errors++
			if rateLimited(err) {
				skip(r.inst, "rate limit", err)
				return nil
			}
			s.Log.Error().Err(err).Int64("installation_id", r.inst).Str("repo", r.repo).Msg("sweep cannot list open pull requests")
			return nil
		}
		for _, pr := range prs {
			if reason := s.bounded(res); reason != "" {
				res.Truncated = reason
				return nil
			}
			if err := s.checkPR(ctx, r, pr, limits, checkName, res); err != nil {
				return err
			}
		}
		if lowBudget(resp, orDefault(s.MinRemaining, defaultMinRemaining)) {
			skip(r.inst, "rate budget low", nil)
			return nil
		}
		if resp.NextPage == 0 {
			return nil
		}
		opts.Page = resp.NextPage
	}
}

// checkPR compares one open PR with the store and calls Evaluate when it is out of date.
func (s *Sweeper) checkPR(ctx context.Context, r sweepRepo, pr *github.PullRequest, limits SweepLimits, checkName string, res *SweepResult) error {
	res.PRsChecked++
	s.Metrics.add(func(m *Metrics) Counter { return m.PRsChecked }, 1)
	sha := pr.GetHead().GetSHA()
	var run *store.CheckRun
	cr, err := s.Store.GetCheckRun(ctx, r.repo, sha, checkName)
	switch {
	case err == nil:
		run = &cr
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("get check run %s@%s: %w", r.repo, sha, err)
	}
	var known *store.PR
	p, err := s.Store.GetPR(ctx, r.repo, pr.GetNumber())
	switch {
	case err == nil:
		known = &p
	case !errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("get pull request %s#%d: %w", r.repo, pr.GetNumber(), err)
	}
	reason := reevaluateReason(run, known, pr.GetUpdatedAt().Time, s.now(), limits)
	if reason == "" {
		return nil
	}
	re := Reevaluation{InstallationID: r.inst, Repo: r.repo, Number: pr.GetNumber(), HeadSHA: sha, Reason: reason}
	res.Reevaluated = append(res.Reevaluated, re)
	s.Metrics.add(func(m *Metrics) Counter { return m.PRsReevaluated }, 1)
	log := s.Log.With().Int64("installation_id", r.inst).Str("repo", r.repo).Int("pr", re.Number).
		Str("sha", sha).Str("reason", string(reason)).Logger()
	log.Info().Msg("sweep re-evaluates pull request")
	if err := s.Evaluate(ctx, re); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.Errors++
		log.Error().Err(err).Msg("sweep re-evaluation failed; the next sweep tries again")
	}
	return nil
}
