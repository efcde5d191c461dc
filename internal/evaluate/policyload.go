package evaluate

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/appconfig"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// PolicyLoader reads a repository's policy from a given ref (always the PR's base branch,
// never its head: a PR must not be able to weaken its own rules) and merges it over the
// baseline: the server's baseline file plus the org's policy in its .github repository.
// Baseline rules always apply; a repository can only add rules.
type PolicyLoader struct {
	path     string
	repo     *appconfig.Loader // the repository's own file
	orgRepo  string            // the org repository holding the org baseline (".github")
	orgPath  string            // the baseline's path in it ("foureyes.yml")
	baseline *policy.Policy    // the server's baseline file, nil when none
	cache    policyCache
}

// Loaded is the policy that judges one change, and where it came from.
type Loaded struct {
	Policy *policy.Policy // nil when Missing or when Err is set
	Source store.PolicySource
	// Missing: neither the repository nor the org defines a policy and there is no
	// baseline.
	Missing bool
	// Err is a policy that does not parse or merge (policy.Errors with positions), or an
	// org baseline that exists but cannot be read (ErrOrgBaselineUnreadable).
	Err error
	// Baseline names the baseline that applied (or could not be read), for the check run.
	Baseline string
}

// NewPolicyLoader builds a loader for path (".github/foureyes.yml") with the org policy in
// orgRepo, and the server's baseline file (may be "").
func NewPolicyLoader(path, orgRepo, baselineFile string) (*PolicyLoader, error) {
	var baseline *policy.Policy
	if baselineFile != "" {
		data, err := os.ReadFile(baselineFile)
		if err != nil {
			return nil, fmt.Errorf("read policy baseline: %w", err)
		}
		if baseline, err = policy.Parse(baselineFile, data); err != nil {
			return nil, fmt.Errorf("policy baseline is invalid:\n%w", err)
		}
		if baseline, err = AttachRegoFromDisk(baselineFile, baseline); err != nil {
			return nil, fmt.Errorf("policy baseline is invalid:\n%w", err)
		}
	}
	orgPath := strings.TrimPrefix(path, ".github/")
	// Remote references would let a file point the policy elsewhere: off.
	return &PolicyLoader{
		path:     path,
		baseline: baseline,
		repo:     appconfig.NewLoader([]string{path}, appconfig.WithOwnerDefault("", nil), appconfig.WithRemoteRefParser(nil)),
		orgRepo:  orgRepo,
		orgPath:  orgPath,
	}, nil
}

// Path is the policy file's path in a repository.
func (l *PolicyLoader) Path() string { return l.path }

// Load returns the policy of owner/repo at ref. The error is a GitHub failure (to retry);
// a broken policy is reported in Loaded.Err.
func (l *PolicyLoader) Load(ctx context.Context, client *github.Client, owner, repo, ref string) (Loaded, error) {
	base, baseSrc, name, bad, err := l.baselineFor(ctx, client, owner)
	if err != nil {
		return Loaded{}, err
	}
	if bad != nil {
		return Loaded{Source: baseSrc, Err: bad, Baseline: name}, nil
	}
	c, err := l.repo.LoadConfig(ctx, client, owner, repo, ref)
	if err != nil {
		return Loaded{}, fmt.Errorf("load policy of %s/%s at %s: %w", owner, repo, ref, err)
	}
	if c.IsUndefined() || len(c.Content) == 0 {
		if base == nil {
			return Loaded{Missing: true, Baseline: name}, nil
		}
		return Loaded{Policy: base, Source: baseSrc, Baseline: name}, nil
	}
	src := sourceOf(c)
	repoPolicy, perr := l.cache.parse(c.Path, c.Content)
	if perr != nil {
		return Loaded{Source: src, Err: perr, Baseline: name}, nil
	}
	repoPolicy, perr, err = l.attachRego(ctx, client, owner, repo, ref, repoPolicy)
	if err != nil {
		return Loaded{}, err
	}
	if perr != nil {
		return Loaded{Source: src, Err: perr, Baseline: name}, nil
	}
	merged, merr := l.cache.merge(base, repoPolicy)
	if merr != nil {
		return Loaded{Source: src, Err: merr, Baseline: name}, nil
	}
	return Loaded{Policy: merged, Source: src, Baseline: name}, nil
}

// baselineFor is the server baseline merged with the org's policy file, when it has one,
// and the name of that baseline. bad is a broken or unreadable org file (it fails every
// change, as a broken repo file does); err is a GitHub failure to retry.
func (l *PolicyLoader) baselineFor(ctx context.Context, client *github.Client, owner string) (p *policy.Policy, src store.PolicySource, name string, bad, err error) {
	c, err := l.loadOrgFile(ctx, client, owner)
	if errors.Is(err, ErrOrgBaselineUnreadable) {
		return nil, store.PolicySource{Repo: owner + "/" + l.orgRepo, Path: l.orgPath}, "unreadable: " + owner + "/" + l.orgRepo + ":" + l.orgPath, err, nil
	}
	if err != nil {
		return nil, src, "", nil, fmt.Errorf("load org policy of %s: %w", owner, err)
	}
	if c.IsUndefined() || len(c.Content) == 0 {
		if l.baseline != nil {
			src = store.PolicySource{Path: "baseline"}
		}
		return l.baseline, src, l.baselineName(nil), nil, nil
	}
	src = sourceOf(c)
	name = l.baselineName(&c)
	org, perr := l.cache.parse(src.Repo+"/"+c.Path, c.Content)
	if perr != nil {
		return nil, src, name, perr, nil
	}
	orgOwner, orgRepo, _ := strings.Cut(src.Repo, "/")
	org, perr, err = l.attachRego(ctx, client, orgOwner, orgRepo, src.Ref, org)
	if err != nil {
		return nil, src, "", nil, err
	}
	if perr != nil {
		return nil, src, name, perr, nil
	}
	merged, merr := l.cache.merge(l.baseline, org)
	if merr != nil {
		return nil, src, name, merr, nil
	}
	return merged, src, name, nil, nil
}

// Validate parses a policy file's content as the PR would leave it, merged with the
// baseline, so a broken or baseline-weakening policy never reaches the base branch. The
// result is cached by content (the parse cache): every event of a PR that touches the
// policy file validates the same content again.
func (l *PolicyLoader) Validate(content []byte) error {
	p, err := l.cache.parse(l.path, content)
	if err != nil {
		return err
	}
	_, err = l.cache.merge(l.baseline, p) // the org file is checked where it lives
	return err
}

// sourceOf turns appconfig's "owner/repo@ref" into a PolicySource with the git blob SHA of
// the content, which is what `git hash-object` prints for the file: an auditor can match
// it to the repository's history.
func sourceOf(c appconfig.Config) store.PolicySource {
	repo, ref, _ := strings.Cut(c.Source, "@")
	return store.PolicySource{Repo: repo, Path: c.Path, Ref: ref, BlobSHA: gitBlobSHA(c.Content)}
}

func gitBlobSHA(content []byte) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}
