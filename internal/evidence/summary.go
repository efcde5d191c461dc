package evidence

import (
	"encoding/json"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Summary is what summary.html tells a reader about one change, taken from its records.
type Summary struct {
	Change      ChangeQuery
	HeadSeq     int64
	HeadHash    string
	ExtractedAt time.Time
	Title       string
	Author      string
	Authors     []string // commit authors and co-authors
	Pushes      []Event
	Approvals   []Approval
	Checks      []CheckLine
	Tickets     []string
	Decisions   []Event
	Merges      []Event
	Violations  []Event
	Deployments []Event
	Timeline    []Event // every record, in chain order
}

// Event is one record as a line of the summary.
type Event struct {
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	Actor   string    `json:"actor"`
	SHA     string    `json:"sha"`
	Subject string    `json:"subject,omitempty"`
	Outcome string    `json:"outcome"`
	Detail  string    `json:"detail,omitempty"`
	Hash    string    `json:"hash"`
}

// Approval is one approving review the last decision saw.
type Approval struct {
	User, SHA, At string
	Counted       bool
}

// CheckLine is one check the last decision saw on the head.
type CheckLine struct{ Name, Source, Result string }

type mergeFacts struct {
	HeadSHA        string `json:"head_sha"`
	MergeCommitSHA string `json:"merge_commit_sha"`
	BaseRef        string `json:"base_ref"`
	Violation      string `json:"violation"`
	Reason         string `json:"reason"`
}

// Summarize reads the change's records (in chain order) into a Summary.
func Summarize(recs []store.ChainRecord, m PackageManifest) (Summary, error) {
	s := Summary{Change: m.Change, HeadSeq: m.HeadSeq, HeadHash: m.HeadHash, ExtractedAt: m.ExtractedAt}
	var last *policy.Facts
	var lastDecision policy.Decision
	for _, c := range recs {
		ev := Event{Seq: c.Seq, At: c.RecordedAt, Kind: string(c.Kind), Actor: c.Actor, SHA: c.SHA, Subject: c.Subject, Outcome: c.Outcome, Hash: c.Hash}
		switch c.Kind {
		case store.KindPush:
			s.Pushes = append(s.Pushes, ev)
		case store.KindPRDecision, store.KindPolicyError:
			var d policy.Decision
			if json.Unmarshal(c.Decision, &d) == nil {
				ev.Detail = d.Title
				lastDecision = d
			}
			var f policy.Facts
			if len(c.Facts) > 0 && json.Unmarshal(c.Facts, &f) == nil {
				last = &f
			}
			s.Decisions = append(s.Decisions, ev)
		case store.KindMerge:
			var mf mergeFacts
			if json.Unmarshal(c.Facts, &mf) == nil {
				ev.Detail = "head " + mf.HeadSHA + " into " + mf.BaseRef
			}
			s.Merges = append(s.Merges, ev)
		case store.KindViolation:
			var mf mergeFacts
			if json.Unmarshal(c.Facts, &mf) == nil {
				ev.Detail = mf.Violation + mf.Reason
			}
			var pd policy.PushDecision
			if ev.Detail == "" && json.Unmarshal(c.Decision, &pd) == nil {
				ev.Detail = pd.Reason // a direct push: policy.DecidePush's reason
			}
			s.Violations = append(s.Violations, ev)
		case store.KindDeploymentDecision, store.KindDeploymentEvent:
			var d policy.Decision
			if json.Unmarshal(c.Decision, &d) == nil {
				ev.Detail = d.Title
			}
			s.Deployments = append(s.Deployments, ev)
		}
		s.Timeline = append(s.Timeline, ev)
	}
	if last != nil {
		s.Title, s.Author = last.PullRequest.Title, last.PullRequest.Author
		seen := map[string]bool{}
		for _, c := range last.Commits {
			for _, a := range append([]string{c.Author}, c.CoAuthors...) {
				if a != "" && !seen[a] {
					seen[a] = true
					s.Authors = append(s.Authors, a)
				}
			}
		}
		counted := map[string]bool{}
		for _, r := range lastDecision.Rules {
			for _, q := range r.Requirements {
				for _, e := range q.Evidence {
					switch e.Kind {
					case policy.EvidenceApproval:
						counted[e.Subject+"@"+e.SHA] = true
					case policy.EvidenceTicket:
						s.Tickets = appendOnce(s.Tickets, e.Subject)
					}
				}
			}
		}
		for _, k := range sortedKeys(last.Tickets) {
			t := last.Tickets[k]
			line := t.Key + " (" + t.System + ": " + t.Read
			if t.Status != "" {
				line += ", " + t.Status
			}
			s.Tickets = appendOnce(s.Tickets, line+")")
		}
		for _, r := range last.Reviews {
			if r.State == "APPROVED" {
				s.Approvals = append(s.Approvals, Approval{User: r.User, SHA: r.CommitID, At: r.SubmittedAt, Counted: counted[r.User+"@"+r.CommitID]})
			}
		}
		for _, c := range last.Checks {
			res := c.Conclusion
			if res == "" {
				res = c.State
			}
			if res == "" {
				res = c.Status
			}
			src := c.App
			if src == "" {
				src = c.Creator
			}
			s.Checks = append(s.Checks, CheckLine{Name: c.Name, Source: src, Result: res})
		}
	}
	return s, nil
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

var summaryFuncs = template.FuncMap{
	"time": func(t time.Time) string { return store.FormatTime(t) },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
	"join": strings.Join,
}

// The template escapes every value (html/template): PR titles, logins and reasons are
// written by outsiders.
var summaryTemplate = template.Must(template.New("summary").Funcs(summaryFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>foureyes evidence: {{.Change.Repo}}{{if .Change.PR}} #{{.Change.PR}}{{end}}{{if .Change.SHA}} @{{short .Change.SHA}}{{end}}</title>
<style>` + printCSS + `</style></head><body>
<h1>Evidence: {{.Change.Repo}}{{if .Change.PR}} pull request #{{.Change.PR}}{{end}}{{if .Change.SHA}} commit {{.Change.SHA}}{{end}}</h1>
<p>Extracted {{time .ExtractedAt}} against the audit chain head #{{.HeadSeq}} <code>{{.HeadHash}}</code>.
Every line below is an audit record; its sequence number is its position in the hash chain, so the order of events is proven by the chain (verify with <code>foureyes audit evidence verify</code>).</p>
<h2>Change</h2>
<table><tr><th>Title</th><td>{{.Title}}</td></tr>
<tr><th>Opened by</th><td>{{.Author}}</td></tr>
<tr><th>Commits written by</th><td>{{join .Authors ", "}}</td></tr>
<tr><th>Tickets</th><td>{{if .Tickets}}{{join .Tickets ", "}}{{else}}none found{{end}}</td></tr></table>
<h2>Pushes</h2>
{{if .Pushes}}<table><tr><th>#</th><th>recorded</th><th>pushed by</th><th>commit</th></tr>
{{range .Pushes}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Actor}}</td><td><code>{{.SHA}}</code></td></tr>
{{end}}</table>{{else}}<p>No recorded push.</p>{{end}}
<h2>Approvals (as the last decision saw them)</h2>
{{if .Approvals}}<table><tr><th>reviewer</th><th>approved commit</th><th>at</th><th>counted</th></tr>
{{range .Approvals}}<tr><td>{{.User}}</td><td><code>{{.SHA}}</code></td><td>{{.At}}</td><td>{{if .Counted}}yes{{else}}no{{end}}</td></tr>
{{end}}</table>{{else}}<p>No approval.</p>{{end}}
<h2>Checks on the head</h2>
{{if .Checks}}<table><tr><th>check</th><th>from</th><th>result</th></tr>
{{range .Checks}}<tr><td>{{.Name}}</td><td>{{.Source}}</td><td>{{.Result}}</td></tr>
{{end}}</table>{{else}}<p>No check.</p>{{end}}
<h2>Decisions</h2>
{{if .Decisions}}<table><tr><th>#</th><th>recorded</th><th>commit</th><th>outcome</th><th>title</th></tr>
{{range .Decisions}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td><code>{{short .SHA}}</code></td><td>{{.Outcome}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{else}}<p>No decision.</p>{{end}}
<h2>Merge</h2>
{{if .Merges}}<table><tr><th>#</th><th>recorded</th><th>merged by</th><th>merge commit</th><th>decision then</th><th></th></tr>
{{range .Merges}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Actor}}</td><td><code>{{.SHA}}</code></td><td>{{.Outcome}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{else}}<p>Not merged.</p>{{end}}
{{if .Violations}}<h2>Violations</h2><table><tr><th>#</th><th>recorded</th><th>actor</th><th>commit</th><th>what</th></tr>
{{range .Violations}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Actor}}</td><td><code>{{short .SHA}}</code></td><td>{{.Detail}}</td></tr>
{{end}}</table>{{end}}
<h2>Deployments</h2>
{{if .Deployments}}<table><tr><th>#</th><th>recorded</th><th>kind</th><th>where</th><th>by</th><th>commit</th><th>answer</th></tr>
{{range .Deployments}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Kind}}</td><td>{{.Subject}}</td><td>{{.Actor}}</td><td><code>{{short .SHA}}</code></td><td>{{.Outcome}}{{if .Detail}}: {{.Detail}}{{end}}</td></tr>
{{end}}</table>{{else}}<p>No deployment recorded.</p>{{end}}
<h2>Timeline (chain order)</h2>
<table class="small"><tr><th>#</th><th>recorded</th><th>kind</th><th>actor</th><th>outcome</th><th>hash</th></tr>
{{range .Timeline}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Kind}}</td><td>{{.Actor}}</td><td>{{.Outcome}}</td><td><code>{{.Hash}}</code></td></tr>
{{end}}</table>
</body></html>
`))

// printCSS makes the pages print cleanly on A4 and Letter: the smaller of both, no
// background colours needed, tables that break between rows.
const printCSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;font-size:11pt;color:#111;max-width:60em;margin:1em auto;padding:0 1em}
h1{font-size:16pt}h2{font-size:13pt;margin-top:1.2em;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:.4em 0}th,td{border:1px solid #bbb;padding:2px 5px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#eee}code{font-size:9pt;overflow-wrap:anywhere}.small td{font-size:9pt}.fail{font-weight:bold}
@page{size:210mm 279mm;margin:15mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}tr,li{break-inside:avoid}h2{break-after:avoid}th{background:none}a{color:inherit;text-decoration:none}}
`

func writeSummaryHTML(w io.Writer, s Summary) error { return summaryTemplate.Execute(w, s) }
