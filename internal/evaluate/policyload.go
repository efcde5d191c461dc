package evaluate

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/appconfig"

	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// PolicyLoader reads a repository's policy from a given ref (always the PR's base branch,
// never its head: a PR must not be able to weaken its own rules) and merges it over the
// baseline: the server's baseline file plus the org's policy in its .github repository.
// Baseline rules always apply; a repository can only add rules.
type PolicyLoader struct {
	path    string
	repo    *appconfig.Loader // the repository's own file
	orgRepo string            // the org repository holding the org baseline (".github")
	orgPath string            // the baseline's path in it ("foureyes.yml")
	// selections caches each account's installation repository selection (all or
	// selected), which decides what a 404 on the org repository means.
	selections selectionCache
	// known is each installation's selection as GitHub stated it for free (token answers,
	// webhooks), trusted for knownTrust (UseSelections); nil: always read.
	known      *ghclient.Selections
	knownTrust time.Duration
	baseline   *policy.Policy // the server's baseline file, nil when none
	// baselineFile is the baseline as read (with its Rego modules), for the policy
	// inputs of every decision; nil when none.
	baselineFile *policy.PolicyFile
	cache        policyCache
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
	// Inputs are the policy files exactly as read (baseline, org, repository, with their
	// Rego modules): the store keeps them by policy digest so the decision can be
	// re-performed. Missing is left for the evaluator to fill.
	Inputs policy.PolicyInputs
}

// NewPolicyLoader builds a loader for path (".github/foureyes.yml") with the org policy in
// orgRepo, and the server's baseline file (may be "").
func NewPolicyLoader(path, orgRepo, baselineFile string) (*PolicyLoader, error) {
	var (
		baseline *policy.Policy
		file     *policy.PolicyFile
	)
	if baselineFile != "" {
		data, err := os.ReadFile(baselineFile)
		if err != nil {
			return nil, fmt.Errorf("read policy baseline: %w", err)
		}
		if baseline, err = policy.Parse(baselineFile, data); err != nil {
			return nil, fmt.Errorf("policy baseline is invalid:\n%w", err)
		}
		rego, err := regoFilesFromDisk(baselineFile, baseline)
		if err != nil {
			return nil, fmt.Errorf("policy baseline is invalid:\n%w", err)
		}
		if baseline, err = baseline.WithRegoFiles(rego); err != nil {
			return nil, fmt.Errorf("policy baseline is invalid:\n%w", err)
		}
		file = &policy.PolicyFile{Role: policy.RoleBaseline, Name: baselineFile, Text: string(data), Rego: regoTexts(rego)}
	}
	orgPath := strings.TrimPrefix(path, ".github/")
	// Remote references would let a file point the policy elsewhere: off.
	return &PolicyLoader{
		path:         path,
		baseline:     baseline,
		baselineFile: file,
		repo:         appconfig.NewLoader([]string{path}, appconfig.WithOwnerDefault("", nil), appconfig.WithRemoteRefParser(nil)),
		orgRepo:      orgRepo,
		orgPath:      orgPath,
	}, nil
}

// Path is the policy file's path in a repository.
func (l *PolicyLoader) Path() string { return l.path }

// Load returns the policy of owner/repo at ref, read with client, installation's client
// (its repository selection says what a 404 on the org repository means). The error is a
// GitHub failure (to retry); a broken policy is reported in Loaded.Err.
func (l *PolicyLoader) Load(ctx context.Context, client *github.Client, installation int64, owner, repo, ref string) (Loaded, error) {
	loaded, err := l.load(ctx, client, installation, owner, repo, ref)
	loaded.Inputs.Format, loaded.Inputs.Path = policy.InputsFormat, l.path
	if loaded.Inputs.Files == nil {
		loaded.Inputs.Files = []policy.PolicyFile{}
	}
	return loaded, err
}

// Baseline is the server's baseline (nil when none): a changed policy file is validated
// against it.
func (l *PolicyLoader) Baseline() *policy.Policy { return l.baseline }

func (l *PolicyLoader) load(ctx context.Context, client *github.Client, installation int64, owner, repo, ref string) (Loaded, error) {
	var in policy.PolicyInputs
	if l.baselineFile != nil {
		in.Files = append(in.Files, *l.baselineFile)
	}
	base, baseSrc, name, orgFile, bad, err := l.baselineFor(ctx, client, installation, owner)
	if err != nil {
		return Loaded{}, err
	}
	if orgFile != nil {
		in.Files = append(in.Files, *orgFile)
	}
	if bad != nil {
		return Loaded{Source: baseSrc, Err: bad, Baseline: name, Inputs: in}, nil
	}
	c, err := l.repo.LoadConfig(ctx, client, owner, repo, ref)
	if err != nil {
		return Loaded{}, fmt.Errorf("load policy of %s/%s at %s: %w", owner, repo, ref, err)
	}
	if c.IsUndefined() || len(c.Content) == 0 {
		if base == nil {
			return Loaded{Missing: true, Baseline: name, Inputs: in}, nil
		}
		return Loaded{Policy: base, Source: baseSrc, Baseline: name, Inputs: in}, nil
	}
	src := sourceOf(c)
	repoFile := policy.PolicyFile{Role: policy.RoleRepo, Name: c.Path, Text: string(c.Content)}
	repoPolicy, perr := l.cache.parse(c.Path, c.Content)
	if perr != nil {
		in.Files = append(in.Files, repoFile)
		return Loaded{Source: src, Err: perr, Baseline: name, Inputs: in}, nil
	}
	repoPolicy, repoFile.Rego, perr, err = l.attachRego(ctx, client, owner, repo, ref, repoPolicy)
	if err != nil {
		return Loaded{}, err
	}
	in.Files = append(in.Files, repoFile)
	if perr != nil {
		return Loaded{Source: src, Err: perr, Baseline: name, Inputs: in}, nil
	}
	merged, merr := l.cache.merge(base, repoPolicy)
	if merr != nil {
		return Loaded{Source: src, Err: merr, Baseline: name, Inputs: in}, nil
	}
	return Loaded{Policy: merged, Source: src, Baseline: name, Inputs: in}, nil
}

// baselineFor is the server baseline merged with the org's policy file, when it has one,
// and the name of that baseline. bad is a broken or unreadable org file (it fails every
// change, as a broken repo file does); err is a GitHub failure to retry.
func (l *PolicyLoader) baselineFor(ctx context.Context, client *github.Client, installation int64, owner string) (p *policy.Policy, src store.PolicySource, name string, file *policy.PolicyFile, bad, err error) {
	c, err := l.loadOrgFile(ctx, client, installation, owner)
	if errors.Is(err, ErrOrgBaselineUnreadable) {
		return nil, store.PolicySource{Repo: owner + "/" + l.orgRepo, Path: l.orgPath}, "unreadable: " + owner + "/" + l.orgRepo + ":" + l.orgPath, nil, err, nil
	}
	if err != nil {
		return nil, src, "", nil, nil, fmt.Errorf("load org policy of %s: %w", owner, err)
	}
	if c.IsUndefined() || len(c.Content) == 0 {
		if l.baseline != nil {
			src = store.PolicySource{Path: "baseline"}
		}
		return l.baseline, src, l.baselineName(nil), nil, nil, nil
	}
	src = sourceOf(c)
	name = l.baselineName(&c)
	file = &policy.PolicyFile{Role: policy.RoleOrg, Name: src.Repo + "/" + c.Path, Text: string(c.Content)}
	org, perr := l.cache.parse(file.Name, c.Content)
	if perr != nil {
		return nil, src, name, file, perr, nil
	}
	orgOwner, orgRepo, _ := strings.Cut(src.Repo, "/")
	org, file.Rego, perr, err = l.attachRego(ctx, client, orgOwner, orgRepo, src.Ref, org)
	if err != nil {
		return nil, src, "", nil, nil, err
	}
	if perr != nil {
		return nil, src, name, file, perr, nil
	}
	merged, merr := l.cache.merge(l.baseline, org)
	if merr != nil {
		return nil, src, name, file, merr, nil
	}
	return merged, src, name, file, nil, nil
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
