package console

import (
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// period is the audit period a page shows: whole UTC days, until inclusive.
type period struct {
	Since, Until time.Time // Until is the last day shown
}

// store is the period as the store's half-open span.
func (p period) store() store.Period {
	return store.Period{Since: p.Since, Until: p.Until.AddDate(0, 0, 1)}
}

// Query is the period as since/until parameters, for links.
// It is a template.URL: built from parsed dates only, so it needs no escaping.
func (p period) Query() template.URL {
	return template.URL("since=" + p.Since.Format(dateFormat) + "&until=" + p.Until.Format(dateFormat))
}

// SinceDate and UntilDate are the form's values.
func (p period) SinceDate() string { return p.Since.Format(dateFormat) }
func (p period) UntilDate() string { return p.Until.Format(dateFormat) }

const dateFormat = "2006-01-02"

// quarter is the calendar quarter of now: the default period.
func quarter(now time.Time) period {
	now = now.UTC()
	first := time.Date(now.Year(), time.Month((int(now.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
	return period{Since: first, Until: first.AddDate(0, 3, -1)}
}

// parsePeriod reads since and until (YYYY-MM-DD, UTC, both included). A missing bound
// is the current quarter's; a period is at most ten years long.
func parsePeriod(q url.Values, now time.Time) (period, error) {
	p := quarter(now)
	read := func(name string, into *time.Time) error {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return nil
		}
		t, err := time.Parse(dateFormat, v)
		if err != nil || t.Year() < 2000 || t.Year() > 2200 {
			return badRequest("%s must be a date written YYYY-MM-DD, not %q", name, truncate(v, 40))
		}
		*into = t
		return nil
	}
	if err := read("since", &p.Since); err != nil {
		return period{}, err
	}
	if err := read("until", &p.Until); err != nil {
		return period{}, err
	}
	if p.Until.Before(p.Since) {
		return period{}, badRequest("until (%s) is before since (%s)", p.UntilDate(), p.SinceDate())
	}
	if p.Until.Sub(p.Since) > 10*366*24*time.Hour {
		return period{}, badRequest("a period is at most ten years")
	}
	return p, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// populationFilter is the changes page's filters, parsed from its query.
type populationFilter struct {
	Repo, Kind, Actor, Outcome string
	Before                     int64
}

// kindAliases are the kinds the changes page offers, named for people.
var kindAliases = map[string][]store.Kind{
	"merge":        {store.KindMerge},
	"violation":    {store.KindViolation},
	"decision":     {store.KindPRDecision},
	"deployment":   {store.KindDeploymentDecision, store.KindDeploymentEvent},
	"push":         {store.KindPush},
	"policy_error": {store.KindPolicyError},
	"installation": {store.KindInstallation},
	"refused":      {store.KindRefused},
	"review_note":  {store.KindReviewNote},
}

// kindNames is kindAliases' keys in the order the filter lists them.
var kindNames = []string{"merge", "violation", "decision", "deployment", "push", "policy_error", "review_note", "installation", "refused"}

// parseFilter reads repo (owner/name), kind, actor, outcome and before (a sequence
// number) and bounds each; anything else is a 400.
func parseFilter(q url.Values) (populationFilter, error) {
	f := populationFilter{Repo: strings.TrimSpace(q.Get("repo")), Kind: strings.TrimSpace(q.Get("kind")),
		Actor: strings.TrimSpace(q.Get("actor")), Outcome: strings.TrimSpace(q.Get("outcome"))}
	if f.Repo != "" && (strings.Count(f.Repo, "/") != 1 || len(f.Repo) > 200 || strings.HasPrefix(f.Repo, "/") || strings.HasSuffix(f.Repo, "/")) {
		return f, badRequest("repo must be written owner/name")
	}
	if _, ok := kindAliases[f.Kind]; f.Kind != "" && !ok {
		return f, badRequest("kind must be one of %s", strings.Join(kindNames, ", "))
	}
	if len(f.Actor) > 100 || strings.ContainsAny(f.Actor, " /\x00") {
		return f, badRequest("actor must be a GitHub login")
	}
	if len(f.Outcome) > 40 {
		return f, badRequest("outcome is too long")
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, badRequest("before must be a positive record number")
		}
		f.Before = n
	}
	return f, nil
}

// Query is the filter as query parameters (without before), for links.
func (f populationFilter) Query() template.URL {
	v := url.Values{}
	for k, s := range map[string]string{"repo": f.Repo, "kind": f.Kind, "actor": f.Actor, "outcome": f.Outcome} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return template.URL(v.Encode()) // url.Values.Encode escapes every value
}

// Dispositions of a review note: the policy's words, since the deployment gate reads
// them (a direct push is cleared by explained or remediated).
var dispositions = []string{policy.NoteExplained, policy.NoteRemediated, policy.NoteDeficiency}

// parseNote reads a review note's form: a disposition and a text of 1..4000 characters.
func parseNote(disposition, text string) (string, string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	ok := false
	for _, d := range dispositions {
		ok = ok || d == disposition
	}
	switch {
	case !ok:
		return "", "", badRequest("disposition must be explained, remediated or deficiency")
	case text == "":
		return "", "", badRequest("a review note needs a text")
	case len([]rune(text)) > 4000:
		return "", "", badRequest("a review note is at most 4000 characters")
	}
	return disposition, text, nil
}

func (f populationFilter) String() string {
	return fmt.Sprintf("repo=%q kind=%q actor=%q outcome=%q", f.Repo, f.Kind, f.Actor, f.Outcome)
}

func parseQuery(q string) url.Values {
	v, _ := url.ParseQuery(q)
	return v
}
