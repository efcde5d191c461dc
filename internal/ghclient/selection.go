package ghclient

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Where a repository selection was learnt.
const (
	FromAccessToken = "access token answer"
)

// Selection is an installation's repository selection as GitHub last stated it.
type Selection struct {
	Value  string    // "all" or "selected"
	Learnt time.Time // when foureyes learnt it
	From   string    // FromAccessToken, or the webhook event that carried it
}

// Selections records each installation's repository selection ("all" or "selected").
// foureyes needs it to tell "the org has no .github repository" from "this installation
// cannot see it" (#18): GitHub answers 404 to both, and only an installation that covers
// all repositories may take the 404 as "no org baseline". GitHub states the selection for
// free in two places, so asking for it (GET /installation/repositories, a charged request)
// is only the fallback:
//   - the answer to every installation token request (POST
//     /app/installations/{id}/access_tokens), which ghinstallation makes when a client
//     first needs a token and again about hourly, so the record stays current; Transport
//     reads it;
//   - the installation and installation_repositories webhooks, which say at once that an
//     admin switched an installation from all repositories to selected ones (Learn).
//
// Only the selection is kept: the token in the same answer is never parsed, stored nor
// logged. Safe for concurrent use; the zero value is not, use NewSelections.
type Selections struct {
	now func() time.Time

	mu     sync.Mutex
	byInst map[int64]Selection
}

// NewSelections returns an empty record; now (nil: time.Now) stamps what is learnt.
func NewSelections(now func() time.Time) *Selections {
	if now == nil {
		now = time.Now
	}
	return &Selections{now: now, byInst: map[int64]Selection{}}
}

// Learn records that installation inst covers value ("all" or "selected") repositories,
// as stated by from. Any other value (absent, or unknown to this version) is ignored: a
// guess would decide what a 404 means. It says whether the recorded value changed.
func (s *Selections) Learn(inst int64, value, from string) (changed bool) {
	if s == nil || inst == 0 || (value != "all" && value != "selected") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old, known := s.byInst[inst]
	s.byInst[inst] = Selection{Value: value, Learnt: s.now(), From: from}
	return known && old.Value != value
}

// Forget drops what is known of inst (the installation was deleted).
func (s *Selections) Forget(inst int64) {
	if s == nil {
		return
	}
	s.mu.Lock()
	delete(s.byInst, inst)
	s.mu.Unlock()
}

// Get returns what is known of inst's repository selection, and whether anything is.
func (s *Selections) Get(inst int64) (Selection, bool) {
	if s == nil {
		return Selection{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sel, ok := s.byInst[inst]
	return sel, ok
}

// maxTokenAnswer bounds what Transport reads of a token answer to parse it (a real one is
// well under 4 KiB: the token, its expiry, permissions and, for a selected installation
// given a token for named repositories, those repositories).
const maxTokenAnswer = 1 << 20

// Transport wraps next so that every installation token answer (201 to POST
// .../app/installations/{id}/access_tokens) records the installation's selection. It
// must sit under ghinstallation, which makes the token request with the transport it
// wraps and not through go-githubapp's middleware: NewClientCreator installs it as the
// base transport (WithSelections). The answer's body is read, parsed for
// repository_selection only, and handed on as a fresh reader of the same bytes, which are
// not kept.
func (s *Selections) Transport(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp == nil || resp.Body == nil || resp.StatusCode != http.StatusCreated || req.Method != http.MethodPost {
			return resp, err
		}
		if inst, ok := tokenRequestInstallation(req.URL.Path); ok {
			s.learnFromToken(inst, resp)
		}
		return resp, nil
	})
}

// learnFromToken parses resp's body for the selection and gives resp a body with the same
// bytes, so ghinstallation reads the answer as GitHub sent it.
func (s *Selections) learnFromToken(inst int64, resp *http.Response) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer+1))
	if err != nil || len(body) > maxTokenAnswer {
		// Not parsed: the caller reads what was read and then the rest (or the error).
		resp.Body = &replayed{Reader: io.MultiReader(bytes.NewReader(body), resp.Body), close: resp.Body.Close}
		return
	}
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var answer struct {
		RepositorySelection string `json:"repository_selection"`
	}
	if json.Unmarshal(body, &answer) == nil {
		s.Learn(inst, answer.RepositorySelection, FromAccessToken)
	}
}

// replayed is a body of which a part was read already.
type replayed struct {
	io.Reader
	close func() error
}

func (r *replayed) Close() error { return r.close() }

// tokenRequestInstallation is the installation of an access token request's path
// ("/app/installations/42/access_tokens", with any prefix such as GitHub Enterprise
// Server's "/api/v3").
func tokenRequestInstallation(path string) (int64, bool) {
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	n := len(parts)
	if n < 4 || parts[n-1] != "access_tokens" || parts[n-3] != "installations" || parts[n-4] != "app" {
		return 0, false
	}
	id, err := strconv.ParseInt(parts[n-2], 10, 64)
	return id, err == nil && id > 0
}
