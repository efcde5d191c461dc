package facts

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-github/v60/github"
)

// filesEntry is the changed files between one head SHA and one base SHA.
type filesEntry struct {
	files     []string
	truncated bool
}

// prFiles returns the changed files of a pull request, sorted, at most g.maxFiles
// entries read from the PR files endpoint (headDiff's fallback when compare cannot give the
// whole list). The diff of a PR is fixed by its head and base SHAs, so the list
// is cached by both.
//
// A renamed file is listed under its old name too: moving a file out of a protected path
// is a change to that path, and a rule on the old path must see it.
func (g *Gatherer) prFiles(ctx context.Context, client *github.Client, owner, repo string, number int, headSHA, baseSHA string, st *Stats) ([]string, bool, error) {
	key := filesKey(owner, repo, headSHA, baseSHA)
	if e, ok := g.files.get(key, g.now()); ok && headSHA != "" && baseSHA != "" {
		st.CacheHits++
		return e.files, e.truncated, nil
	}
	files, truncated, err := paginate(st, g.maxFiles, func(opt *github.ListOptions) ([]*github.CommitFile, *github.Response, error) {
		return client.PullRequests.ListFiles(ctx, owner, repo, number, opt)
	})
	if err != nil {
		return nil, false, fmt.Errorf("list files of %s/%s#%d: %w", owner, repo, number, err)
	}
	names := fileNames(files)
	if headSHA != "" && baseSHA != "" {
		g.files.put(key, filesEntry{files: names, truncated: truncated}, zeroTime)
	}
	return names, truncated, nil
}

// filesKey is the files cache key of a head and base SHA.
func filesKey(owner, repo, headSHA, baseSHA string) string {
	return owner + "/" + repo + "@" + headSHA + "..." + baseSHA
}

// fileNames returns the sorted, distinct paths of files, old names of renames included.
func fileNames(files []*github.CommitFile) []string {
	set := map[string]bool{}
	for _, f := range files {
		if n := f.GetFilename(); n != "" {
			set[n] = true
		}
		if n := f.GetPreviousFilename(); n != "" {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
