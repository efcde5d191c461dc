package githubtest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// blobSHA is git's blob id of content.
func blobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}

// handleContents answers GET contents/{path}?ref= for files (type file, base64) and
// directories (an array of entries); 404 when absent. Without ref the default branch is read.
// A ref that is not stored but resolves (branch -> SHA, or SHA -> branch) is tried too.
func (s *Server) handleContents(w http.ResponseWriter, r *http.Request, repo *Repo) {
	p := strings.Trim(r.PathValue("path"), "/")
	s.mu.Lock()
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = repo.DefaultBranch
	}
	ref = strings.TrimPrefix(ref, "refs/heads/")
	files, ok := repo.files[ref]
	if !ok {
		if sha := repo.resolveRef(ref); sha != ref {
			files = repo.files[sha]
		} else {
			for b, bsha := range repo.branches {
				if bsha == ref {
					files = repo.files[b]
				}
			}
		}
	}
	content, isFile := files[p]
	var dir []any
	if !isFile {
		seen := map[string]bool{}
		prefix := p + "/"
		if p == "" {
			prefix = ""
		}
		names := make([]string, 0, len(files))
		for name := range files {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			rest := strings.TrimPrefix(name, prefix)
			entry, _, sub := strings.Cut(rest, "/")
			if seen[entry] {
				continue
			}
			seen[entry] = true
			typ, sha, size := "file", blobSHA(files[name]), len(files[name])
			if sub {
				typ, sha, size = "dir", blobSHA(prefix+entry), 0
			}
			dir = append(dir, contentJSON(repo, ref, prefix+entry, typ, sha, size))
		}
	}
	s.mu.Unlock()
	switch {
	case isFile:
		m := contentJSON(repo, ref, p, "file", blobSHA(content), len(content))
		m["encoding"] = "base64"
		m["content"] = wrapBase64(base64.StdEncoding.EncodeToString([]byte(content)))
		writeJSON(w, http.StatusOK, m)
	case len(dir) > 0:
		writeJSON(w, http.StatusOK, dir)
	default:
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

func contentJSON(repo *Repo, ref, p, typ, sha string, size int) map[string]any {
	api := repo.s.APIURL + "repos/" + repo.FullName + "/contents/" + p + "?ref=" + ref
	html := repo.s.URL + "/" + repo.FullName + "/blob/" + ref + "/" + p
	name := p[strings.LastIndex(p, "/")+1:]
	return map[string]any{
		"type": typ, "name": name, "path": p, "sha": sha, "size": size,
		"url": api, "html_url": html, "git_url": repo.s.APIURL + "repos/" + repo.FullName + "/git/blobs/" + sha,
		"download_url": repo.s.URL + "/" + repo.FullName + "/raw/" + ref + "/" + p,
		"_links":       map[string]string{"self": api, "git": repo.s.APIURL + "repos/" + repo.FullName + "/git/blobs/" + sha, "html": html},
	}
}

// wrapBase64 breaks base64 into lines of 60 characters followed by \n, as GitHub does.
func wrapBase64(s string) string {
	var b strings.Builder
	for len(s) > 60 {
		b.WriteString(s[:60])
		b.WriteByte('\n')
		s = s[60:]
	}
	b.WriteString(s)
	b.WriteByte('\n')
	return b.String()
}
