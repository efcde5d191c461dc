package evaluate

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/policy"
)

// attachRego reads the `file:` Rego modules of a policy from the repository and ref the
// policy itself came from (the base branch: a PR cannot swap in its own module) and
// compiles them into the policy, through the cache. perr is a policy problem (a missing
// or broken module) that fails the change; err is a GitHub failure to retry.
func (l *PolicyLoader) attachRego(ctx context.Context, client *github.Client, owner, repo, ref string, p *policy.Policy) (out *policy.Policy, texts map[string]string, perr, err error) {
	paths := p.RegoFiles()
	if len(paths) == 0 {
		return p, nil, nil, nil
	}
	files := make(map[string][]byte, len(paths))
	for _, path := range paths {
		file, _, resp, gerr := client.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			continue // WithRegoFiles reports it at the file: key
		}
		if gerr != nil {
			return nil, nil, nil, fmt.Errorf("read rego module %s of %s/%s at %s: %w", path, owner, repo, ref, gerr)
		}
		if file == nil {
			continue // a directory, not a file
		}
		content, derr := file.GetContent()
		if derr != nil {
			return nil, nil, nil, fmt.Errorf("decode rego module %s of %s/%s: %w", path, owner, repo, derr)
		}
		files[path] = []byte(content)
	}
	out, perr = l.cache.attach(p, files)
	return out, regoTexts(files), perr, nil
}

// regoTexts is the modules as read, for the policy inputs of a decision.
func regoTexts(files map[string][]byte) map[string]string {
	if len(files) == 0 {
		return nil
	}
	out := make(map[string]string, len(files))
	for k, v := range files {
		out[k] = string(v)
	}
	return out
}

// attach caches policy.WithRegoFiles by the policy's digest and the modules' content, so
// a module is compiled and its query prepared once per version, not per evaluation.
func (c *policyCache) attach(p *policy.Policy, files map[string][]byte) (*policy.Policy, error) {
	h := sha256.New()
	h.Write([]byte(p.Digest()))
	for _, path := range p.RegoFiles() {
		content, ok := files[path]
		fmt.Fprintf(h, "\x00%s\x00%t\x00%d\x00", path, ok, len(content))
		h.Write(content)
	}
	var key [32]byte
	h.Sum(key[:0])
	c.mu.Lock()
	r, ok := c.attached[key]
	c.mu.Unlock()
	if ok {
		return r.p, r.err
	}
	out, err := p.WithRegoFiles(files)
	c.mu.Lock()
	if c.attached == nil || len(c.attached) >= maxCachedPolicies {
		c.attached = map[[32]byte]parseResult{}
	}
	c.attached[key] = parseResult{out, err}
	c.mu.Unlock()
	return out, err
}

// AttachRegoFromDisk attaches the `file:` modules of a policy read from a local file
// (the server's baseline, or a file given to the CLI). Module paths are relative to the
// repository root: the directory holding .github/ when the policy file is in one,
// otherwise the policy file's directory.
func AttachRegoFromDisk(policyFile string, p *policy.Policy) (*policy.Policy, error) {
	files, err := regoFilesFromDisk(policyFile, p)
	if err != nil {
		return nil, err
	}
	if len(p.RegoFiles()) == 0 {
		return p, nil
	}
	return p.WithRegoFiles(files)
}

// regoFilesFromDisk reads the `file:` modules of a local policy file (missing ones are
// left out: WithRegoFiles reports them at their key).
func regoFilesFromDisk(policyFile string, p *policy.Policy) (map[string][]byte, error) {
	paths := p.RegoFiles()
	root := RepoRootOf(policyFile)
	files := make(map[string][]byte, len(paths))
	for _, path := range paths {
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(path)))
		if err != nil {
			if os.IsNotExist(err) {
				continue // reported at the file: key
			}
			return nil, fmt.Errorf("read rego module: %w", err)
		}
		files[path] = data
	}
	return files, nil
}

// RepoRootOf is the directory `file:` paths of a local policy file are relative to.
func RepoRootOf(policyFile string) string {
	dir := filepath.Dir(policyFile)
	if filepath.Base(dir) == ".github" {
		return filepath.Dir(dir)
	}
	return dir
}

// changesRego says whether a PR changes a Rego file: the policy at its head is then
// checked with its modules as the PR leaves them, so a broken module never reaches the
// base branch (where it would fail every change closed).
func changesRego(files []string) bool {
	for _, f := range files {
		if strings.HasSuffix(f, ".rego") {
			return true
		}
	}
	return false
}

// regoAt reads the `file:` modules of policy content as they are at ref (a PR's head),
// for the policy_file fact; content that does not parse names none. err is a GitHub
// failure to retry.
func (l *PolicyLoader) regoAt(ctx context.Context, client *github.Client, owner, repo, ref string, content []byte) (map[string]string, error) {
	p, perr := policy.Parse(l.path, content)
	if perr != nil || len(p.RegoFiles()) == 0 {
		return nil, nil
	}
	_, texts, _, err := l.attachRego(ctx, client, owner, repo, ref, p)
	return texts, err
}
