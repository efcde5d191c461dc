package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
)

// GitHubSink commits each checkpoint as a JSON line appended to a file in a GitHub
// repository: a history outside foureyes' database and host, kept by GitHub, that an
// auditor can fetch (the raw file is a checkpoint file for `audit verify --checkpoint`).
//
// It authenticates with its own token (audit.checkpoint.github_token), meant to be a
// fine-grained token with contents: write on that one repository only: the GitHub App
// itself asks for no write access to code, so that foureyes can never change what it
// judges.
type GitHubSink struct {
	Client            *github.Client
	Owner, Repo, Path string
	Branch            string // "" for the default branch
}

// ParseGitHubTarget reads "github:OWNER/REPO/PATH[@BRANCH]".
func ParseGitHubTarget(t string) (owner, repo, path, branch string, err error) {
	rest, ok := strings.CutPrefix(t, "github:")
	if !ok {
		return "", "", "", "", fmt.Errorf("%q is not a github: target", t)
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest, branch = rest[:i], rest[i+1:]
		if branch == "" {
			return "", "", "", "", fmt.Errorf("%q: empty branch after @", t)
		}
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || strings.Trim(parts[2], "/") == "" || strings.Contains(parts[2], "..") {
		return "", "", "", "", fmt.Errorf("%q must be github:OWNER/REPO/PATH[@BRANCH], e.g. github:acme/audit-checkpoints/foureyes.jsonl", t)
	}
	return parts[0], parts[1], strings.Trim(parts[2], "/"), branch, nil
}

// WriteCheckpoint appends c to the file with one commit. A concurrent writer (another
// replica) makes GitHub answer 409 for a stale blob SHA: the file is read again and the
// append retried, a few times.
func (g *GitHubSink) WriteCheckpoint(ctx context.Context, c Checkpoint) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		content, sha, err := g.read(ctx)
		if err != nil {
			return err
		}
		if content != "" && !strings.HasSuffix(content, "\n") {
			content += "\n"
		}
		opts := &github.RepositoryContentFileOptions{
			Message: github.String("foureyes audit checkpoint: record " + strconv.FormatInt(c.Seq, 10) + " " + c.Hash),
			Content: []byte(content + string(line) + "\n"),
		}
		if sha != "" {
			opts.SHA = github.String(sha)
		}
		if g.Branch != "" {
			opts.Branch = github.String(g.Branch)
		}
		_, resp, err := g.Client.Repositories.UpdateFile(ctx, g.Owner, g.Repo, g.Path, opts)
		if err == nil {
			return nil
		}
		lastErr = err
		if resp == nil || resp.StatusCode != http.StatusConflict {
			break
		}
	}
	return fmt.Errorf("checkpoint to github:%s/%s/%s: %w", g.Owner, g.Repo, g.Path, lastErr)
}

// read returns the file's content and blob SHA ("" and "" when it does not exist yet).
func (g *GitHubSink) read(ctx context.Context) (string, string, error) {
	var opts *github.RepositoryContentGetOptions
	if g.Branch != "" {
		opts = &github.RepositoryContentGetOptions{Ref: g.Branch}
	}
	f, _, resp, err := g.Client.Repositories.GetContents(ctx, g.Owner, g.Repo, g.Path, opts)
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", "", nil
	}
	if err != nil {
		return "", "", fmt.Errorf("read checkpoint file github:%s/%s/%s: %w", g.Owner, g.Repo, g.Path, err)
	}
	if f == nil {
		return "", "", errors.New("checkpoint path " + g.Path + " is a directory")
	}
	content, err := f.GetContent()
	if err != nil {
		return "", "", fmt.Errorf("decode checkpoint file: %w", err)
	}
	return content, f.GetSHA(), nil
}
