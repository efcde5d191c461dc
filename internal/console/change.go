package console

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// changeData is one change's trace.
type changeData struct {
	Repo, Title string
	PR          int
	SHA         string
	GitHubURL   string // the PR or commit on GitHub
	EvidenceURL string // the change's evidence package (auditors)
	ChecksURL   string
	Entries     []entry
	Pushes      []store.Push // who pushed what to the PR's branch, recorded live
	Chain       chainStatus
}

// entry is one record of the trace, with what the page shows of it.
type entry struct {
	store.Record
	HashOK    bool   // the record's hash recomputes from its fields
	Verified  string // what the last chain verification says about it
	Decision  *shownDecision
	Details   []detail // a record's other facts (merge, push, deployment, note)
	CommitURL string
}

// shownDecision is a PR or deployment decision as the check run showed it.
type shownDecision struct {
	Outcome, Title, State, Environment string
	Rules                              []policy.RuleResult
	Errors                             []string
}

type detail struct{ Key, Value string }

var (
	ownerRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$`)
	repoRE  = regexp.MustCompile(`^[A-Za-z0-9._-]{1,100}$`)
	shaRE   = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
)

// parseChangePath checks the {owner}/{repo} of a change's URL.
func parseChangePath(owner, repo string) (string, error) {
	if !ownerRE.MatchString(owner) || !repoRE.MatchString(repo) || repo == "." || repo == ".." {
		return "", errNotFound
	}
	return owner + "/" + repo, nil
}

func (c *Console) changePR(w http.ResponseWriter, r *http.Request, s *session) error {
	repo, err := parseChangePath(r.PathValue("owner"), r.PathValue("repo"))
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("number"))
	if err != nil || n <= 0 || n > 1<<30 {
		return errNotFound
	}
	return c.change(w, r, s, audit.TraceQuery{Repo: repo, PR: n})
}

func (c *Console) changeSHA(w http.ResponseWriter, r *http.Request, s *session) error {
	repo, err := parseChangePath(r.PathValue("owner"), r.PathValue("repo"))
	if err != nil {
		return err
	}
	sha := strings.ToLower(r.PathValue("sha"))
	if !shaRE.MatchString(sha) {
		return errNotFound
	}
	return c.change(w, r, s, audit.TraceQuery{Repo: repo, SHA: sha})
}

// change shows the trace of a PR or SHA; a repository outside the session's scope is a
// 404, as is a change with no record.
func (c *Console) change(w http.ResponseWriter, r *http.Request, s *session, q audit.TraceQuery) error {
	if !s.access.Scope.Allows(q.Repo) {
		return errNotFound
	}
	p, err := parsePeriod(r.URL.Query(), c.now())
	if err != nil {
		return err
	}
	recs, err := audit.Trace(r.Context(), c.cfg.Store, q)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		return errNotFound
	}
	cs, err := c.chainStatus(r)
	if err != nil {
		return err
	}
	web := strings.TrimSuffix(c.cfg.WebURL, "/") + "/" + q.Repo
	d := changeData{Repo: q.Repo, PR: q.PR, SHA: q.SHA, Chain: cs}
	if q.PR != 0 {
		d.Title, d.GitHubURL = q.Repo+"#"+strconv.Itoa(q.PR), web+"/pull/"+strconv.Itoa(q.PR)
		d.ChecksURL = d.GitHubURL + "/checks"
	} else {
		d.Title, d.GitHubURL = q.Repo+" @ "+q.SHA, web+"/commit/"+q.SHA
		d.ChecksURL = d.GitHubURL + "/checks"
	}
	if q.PR != 0 {
		if d.Pushes, err = c.cfg.Store.ListPushes(r.Context(), q.Repo, q.PR, ""); err != nil {
			return err
		}
	}
	if s.access.Role == RoleAuditor {
		if q.PR != 0 {
			d.EvidenceURL = "/console/changes/" + q.Repo + "/pull/" + strconv.Itoa(q.PR) + "/evidence.zip"
		} else {
			d.EvidenceURL = "/console/changes/" + q.Repo + "/commit/" + q.SHA + "/evidence.zip"
		}
	}
	for _, rec := range recs {
		if !s.access.Scope.Allows(rec.Repository) { // Trace asks by repository; belt and braces
			continue
		}
		e := entry{Record: rec.Record, HashOK: store.ComputeHash(rec.Record, rec.FactsDigest, rec.DecisionDigest) == rec.Hash,
			Verified: cs.Verified(rec.Seq)}
		if rec.SHA != "" && shaRE.MatchString(rec.SHA) {
			e.CommitURL = web + "/commit/" + rec.SHA
		}
		e.Decision, e.Details = describe(rec.Record)
		e.Record.Facts, e.Record.Decision = nil, nil
		d.Entries = append(d.Entries, e)
	}
	c.render(w, r, s, http.StatusOK, "change", &view{Title: d.Title, Nav: "changes", Period: p, Data: d})
	return nil
}

// describe turns a record's documents into what the page shows: a decision as its check
// run (or deployment answer) showed it, and the other records' facts as key/value rows.
// Everything here is attacker-influenced text; the template escapes it.
func describe(r store.Record) (*shownDecision, []detail) {
	var sd *shownDecision
	if len(r.Decision) > 0 && (r.Kind == store.KindPRDecision || r.Kind == store.KindDeploymentDecision || r.Kind == store.KindPolicyError) {
		var d struct {
			Outcome     string              `json:"outcome"`
			Title       string              `json:"title"`
			State       string              `json:"state"`
			Environment string              `json:"environment"`
			Rules       []policy.RuleResult `json:"rules"`
			Errors      []string            `json:"errors"`
		}
		if json.Unmarshal(r.Decision, &d) == nil {
			sd = &shownDecision{Outcome: d.Outcome, Title: d.Title, State: d.State, Environment: d.Environment, Rules: d.Rules, Errors: d.Errors}
		}
	}
	var details []detail
	if len(r.Facts) > 0 && r.Kind != store.KindPRDecision && r.Kind != store.KindDeploymentDecision {
		var m map[string]any
		if json.Unmarshal(r.Facts, &m) == nil {
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sortStrings(keys)
			for _, k := range keys {
				v := m[k]
				var s string
				switch x := v.(type) {
				case string:
					s = x
				case nil:
					continue
				default:
					b, _ := json.Marshal(x)
					s = string(b)
				}
				if s == "" || s == "0" {
					continue
				}
				details = append(details, detail{Key: strings.ReplaceAll(k, "_", " "), Value: truncate(s, 2000)})
			}
		}
	}
	return sd, details
}

func sortStrings(s []string) { sort.Strings(s) }
