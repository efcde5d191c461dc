package evaluate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/appconfig"

	"github.com/foureyes/foureyes/internal/ghclient"
)

// ErrOrgBaselineUnreadable is a policy error: the org repository that holds the baseline
// exists but foureyes cannot read its policy file. Taking that as "no baseline" would let
// every repository of the org drop the org's rules by revoking one permission, so the
// check fails, and says why, until foureyes can read it.
var ErrOrgBaselineUnreadable = errors.New("org baseline unreadable")

// loadOrgFile reads the org's policy file (path in owner/orgRepo, on its default branch).
// Outcomes:
//   - the org repository does not exist (404) and the installation covers all
//     repositories: undefined config, no org baseline;
//   - 404 and the installation covers selected repositories only: it cannot tell a missing
//     repository from one it was not given, so ErrOrgBaselineUnreadable (fails closed);
//   - it exists and has no such file (404 on the file): undefined config;
//   - it exists and the file cannot be read (403, 401, 451, a directory, undecodable):
//     an error wrapping ErrOrgBaselineUnreadable, judged as a policy error (fails closed);
//   - any other GitHub error (5xx, rate limit): returned as is, to retry.
func (l *PolicyLoader) loadOrgFile(ctx context.Context, client *github.Client, installation int64, owner string) (appconfig.Config, error) {
	where := owner + "/" + l.orgRepo
	r, resp, err := client.Repositories.Get(ctx, owner, l.orgRepo)
	switch {
	case statusOf(resp) == http.StatusNotFound:
		// GitHub answers 404 both when the repository does not exist and when it is private
		// and the installation was not given it. Only an installation that covers all
		// repositories can tell the two apart.
		sel, err := l.selectionOf(ctx, client, installation, owner)
		if err != nil {
			return appconfig.Config{}, err
		}
		if sel != "all" {
			return appconfig.Config{}, fmt.Errorf("%w: foureyes cannot tell whether %s holds a baseline: the installation covers selected repositories only and %s is not one of them; "+
				"add %s to the installation (create it, even empty, if the org has none)", ErrOrgBaselineUnreadable, where, where, where)
		}
		return appconfig.Config{}, nil
	case unreadable(resp, err):
		return appconfig.Config{}, fmt.Errorf("%w: %s exists but foureyes cannot read it (%d): give the installation read access to %s",
			ErrOrgBaselineUnreadable, where, statusOf(resp), where)
	case err != nil:
		return appconfig.Config{}, fmt.Errorf("get org repository %s: %w", where, err)
	}
	ref := r.GetDefaultBranch()
	c := appconfig.Config{Source: where + "@" + ref, Path: l.orgPath}
	file, _, resp, err := client.Repositories.GetContents(ctx, owner, l.orgRepo, l.orgPath, &github.RepositoryContentGetOptions{Ref: ref})
	switch {
	case statusOf(resp) == http.StatusNotFound:
		return appconfig.Config{}, nil
	case unreadable(resp, err):
		return c, fmt.Errorf("%w: cannot read %s in %s (%d): give the installation read access to %s",
			ErrOrgBaselineUnreadable, l.orgPath, where, statusOf(resp), where)
	case err != nil:
		return c, fmt.Errorf("read %s in %s: %w", l.orgPath, where, err)
	case file == nil:
		return c, fmt.Errorf("%w: %s in %s is not a file", ErrOrgBaselineUnreadable, l.orgPath, where)
	}
	content, err := file.GetContent()
	if err != nil {
		return c, fmt.Errorf("%w: cannot decode %s in %s: %v", ErrOrgBaselineUnreadable, l.orgPath, where, err)
	}
	c.Content = []byte(content)
	return c, nil
}

// selectionTTL is how long an installation's repository selection read from GitHub is
// trusted: it only changes when an admin edits the installation.
const selectionTTL = 10 * time.Minute

// knownSelectionTrust is how long a selection GitHub stated for free (a token answer, a
// webhook) is trusted on a single replica: a token lives an hour and ghinstallation gets
// a new one, answer and selection included, before the request that precedes the lookup
// (the org repository's 404), so a selection in use is never older; and the webhook of a
// change reaches this replica at once. A fleet trusts it for selectionTTL only: the
// webhook reaches one replica, the others learn the change from their next token or read.
const knownSelectionTrust = time.Hour + 5*time.Minute

// UseSelections makes the loader take an installation's repository selection from known
// (learnt from token answers and webhooks, ghclient.Selections) while it is fresh, and
// ask GitHub (GET /installation/repositories) only when it is not known or too old: for
// example a GitHub-compatible server whose token answer lacks the field. fleet: several
// replicas share the work (see knownSelectionTrust).
func (l *PolicyLoader) UseSelections(known *ghclient.Selections, fleet bool) {
	l.known, l.knownTrust = known, knownSelectionTrust
	if fleet {
		l.knownTrust = selectionTTL
	}
}

// selectionOf is installation's repository selection ("all" or "selected"): the known
// one (UseSelections) when fresh, else read from GitHub. A read that fails is an error:
// the caller fails closed.
func (l *PolicyLoader) selectionOf(ctx context.Context, client *github.Client, installation int64, owner string) (string, error) {
	if sel, ok := l.known.Get(installation); ok && l.selections.clock().Sub(sel.Learnt) < l.knownTrust {
		return sel.Value, nil
	}
	return l.selections.get(ctx, client, owner)
}

// selectionCache remembers, per account, whether the installation covers all
// repositories as read from GitHub (GET /installation/repositories,
// "repository_selection"), when it is not known for free (UseSelections).
type selectionCache struct {
	mu      sync.Mutex
	now     func() time.Time
	entries map[string]selectionEntry
}

type selectionEntry struct {
	selection string
	expires   time.Time
}

func (c *selectionCache) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

func (c *selectionCache) get(ctx context.Context, client *github.Client, owner string) (string, error) {
	now := c.clock
	key := strings.ToLower(owner)
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now().Before(e.expires) {
		return e.selection, nil
	}
	req, err := client.NewRequest(http.MethodGet, "installation/repositories?per_page=1", nil)
	if err != nil {
		return "", fmt.Errorf("installation repositories: %w", err)
	}
	var body struct {
		RepositorySelection string `json:"repository_selection"`
	}
	if _, err := client.Do(ctx, req, &body); err != nil {
		return "", fmt.Errorf("repository selection of the installation on %s: %w", owner, err)
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]selectionEntry{}
	}
	c.entries[key] = selectionEntry{selection: body.RepositorySelection, expires: now().Add(selectionTTL)}
	c.mu.Unlock()
	return body.RepositorySelection, nil
}

func statusOf(resp *github.Response) int {
	if resp == nil || resp.Response == nil {
		return 0
	}
	return resp.StatusCode
}

// unreadable is an answer that says "you may not read this", which retrying will not
// change. A 403 that is a rate limit is not one: go-github reports it as a rate-limit
// error, which is retried (facts.IsTransient).
func unreadable(resp *github.Response, err error) bool {
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &rl) || errors.As(err, &abuse) {
		return false
	}
	switch statusOf(resp) {
	case http.StatusForbidden, http.StatusUnauthorized, http.StatusUnavailableForLegalReasons:
		return true
	}
	return false
}

// baselineName says which baseline judged a change, for the check run: the org file (with
// its blob), the server's baseline file, both, or none.
func (l *PolicyLoader) baselineName(org *appconfig.Config) string {
	server := ""
	if l.baseline != nil {
		server = "the server's baseline file"
	}
	switch {
	case org != nil && server != "":
		return fmt.Sprintf("%s:%s (blob %.7s) over %s", org.Source, org.Path, gitBlobSHA(org.Content), server)
	case org != nil:
		return fmt.Sprintf("%s:%s (blob %.7s)", org.Source, org.Path, gitBlobSHA(org.Content))
	case server != "":
		return server
	}
	return "none (no org baseline in " + l.orgRepo + ", no server baseline)"
}
