package evidence

import (
	htmltemplate "html/template"
	"strconv"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

func periodText(q ReportQuery) string {
	s, u := "the first record", "the report"
	if !q.Since.IsZero() {
		s = store.FormatTime(q.Since)
	}
	if !q.Until.IsZero() {
		u = store.FormatTime(q.Until)
	}
	return s + " to " + u
}

// mdCell keeps an outsider's text inside one Markdown table cell and inert.
var mdReplacer = strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ", "<", "&lt;", ">", "&gt;", "`", "'", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`)

var reportFuncs = map[string]any{
	"time":   func(t time.Time) string { return store.FormatTime(t) },
	"period": periodText,
	"pct":    func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
	"cell":   func(s string) string { return mdReplacer.Replace(s) },
	"short": func(s string) string {
		if len(s) > 12 {
			return s[:12]
		}
		return s
	},
}

var reportHTML = htmltemplate.Must(htmltemplate.New("report").Funcs(reportFuncs).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>foureyes change-management report{{if .Query.Org}}: {{.Query.Org}}{{end}}</title>
<style>` + printCSS + `</style></head><body>
<h1>Change-management control report{{if .Query.Org}}: {{.Query.Org}}{{end}}</h1>
<p>Period: {{period .Query}}. Generated {{time .GeneratedAt}} by foureyes {{.Version}}.</p>
<h2>Audit chain</h2>
{{if .Chain.Verified}}<p>The hash chain verified: {{.Chain.Records}} records, head #{{.Chain.HeadSeq}} <code>{{.Chain.HeadHash}}</code>.{{if .Chain.Signatures}} {{.Chain.Signatures}} signatures verified under key <code>{{.Chain.SigningKey}}</code>.{{end}}</p>
{{else}}<p class="fail">The hash chain does NOT verify: {{.Chain.Problem}} (head #{{.Chain.HeadSeq}} <code>{{.Chain.HeadHash}}</code>).</p>{{end}}
<h2>Population</h2>
<table><tr><th>record kind</th><th>count</th></tr>{{range .Counts}}<tr><td>{{.Kind}}</td><td>{{.Count}}</td></tr>{{end}}</table>
<p>Merged pull requests: {{.Merges}}; merged with a passing decision: {{.MergedWithPass}}{{if .Merges}} ({{pct .PassPercent}}){{end}}.</p>
<h2>Violations and direct pushes</h2>
{{if .Exceptions}}<table><tr><th>#</th><th>recorded</th><th>what</th><th>repository</th><th>change</th><th>actor</th><th>detail</th><th>review</th></tr>
{{range .Exceptions}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.What}}</td><td>{{.Repository}}</td><td>{{if .PR}}#{{.PR}} {{end}}<code>{{short .SHA}}</code></td><td>{{.Actor}}</td><td>{{.Detail}}</td>
<td>{{if .Notes}}{{range .Notes}}<div>{{.Disposition}} by {{.Author}} on {{time .At}}: {{.Text}}</div>{{end}}{{else}}no review{{end}}</td></tr>
{{end}}</table>{{else}}<p>None in the period.</p>{{end}}
<h2>Emergency changes</h2>
{{if .Emergencies}}<table><tr><th>#</th><th>declared</th><th>repository</th><th>PR</th><th>by</th><th>reference</th><th>reason</th><th>follow-up review</th></tr>
{{range .Emergencies}}<tr><td>{{.Seq}}</td><td>{{time .At}}</td><td>{{.Repository}}</td><td>#{{.PR}}</td><td>{{.Actor}}</td><td>{{.Reference}}</td><td>{{.Reason}}</td>
<td>{{if .Reviews}}{{range .Reviews}}<div>by {{.Actor}} on {{time .At}}</div>{{end}}{{else}}none recorded{{end}}</td></tr>
{{end}}</table>{{else}}<p>None in the period.</p>{{end}}
<h2>Deployments</h2>
{{if .Deployments}}<table><tr><th>environment</th><th>approved</th><th>rejected</th><th>other</th></tr>
{{range .Deployments}}<tr><td>{{.Environment}}</td><td>{{.Approved}}</td><td>{{.Rejected}}</td><td>{{.Other}}</td></tr>{{end}}</table>{{else}}<p>No deployment decision in the period.</p>{{end}}
<h2>Control health</h2>
{{if .Health}}<table><tr><th>repository</th><th>state</th><th>branch</th><th>from</th><th>until</th></tr>
{{range $r := .Health}}{{range .Intervals}}<tr><td>{{$r.Repository}}</td><td{{if ne .State "enforced"}} class="fail"{{end}}>{{.State}}</td><td>{{.Branch}}</td><td>{{time .From}}</td><td>{{time .Until}}</td></tr>
{{end}}{{end}}</table>{{else}}<p>No control-health record.</p>{{end}}
</body></html>
`))

var reportMD = texttemplate.Must(texttemplate.New("report").Funcs(reportFuncs).Parse(`# Change-management control report{{if .Query.Org}}: {{cell .Query.Org}}{{end}}

Period: {{period .Query}}. Generated {{time .GeneratedAt}} by foureyes {{.Version}}.

## Audit chain

{{if .Chain.Verified}}The hash chain verified: {{.Chain.Records}} records, head #{{.Chain.HeadSeq}} ` + "`{{.Chain.HeadHash}}`" + `.{{if .Chain.Signatures}} {{.Chain.Signatures}} signatures verified under key ` + "`{{.Chain.SigningKey}}`" + `.{{end}}{{else}}**The hash chain does NOT verify**: {{cell .Chain.Problem}} (head #{{.Chain.HeadSeq}} ` + "`{{.Chain.HeadHash}}`" + `).{{end}}

## Population

| record kind | count |
|---|---|
{{range .Counts}}| {{.Kind}} | {{.Count}} |
{{end}}
Merged pull requests: {{.Merges}}; merged with a passing decision: {{.MergedWithPass}}{{if .Merges}} ({{pct .PassPercent}}){{end}}.

## Violations and direct pushes

{{if .Exceptions}}| # | recorded | what | repository | change | actor | detail | review |
|---|---|---|---|---|---|---|---|
{{range .Exceptions}}| {{.Seq}} | {{time .At}} | {{.What}} | {{cell .Repository}} | {{if .PR}}#{{.PR}} {{end}}{{cell (short .SHA)}} | {{cell .Actor}} | {{cell .Detail}} | {{if .Notes}}{{range .Notes}}{{cell .Disposition}} by {{cell .Author}} on {{time .At}}: {{cell .Text}}; {{end}}{{else}}no review{{end}} |
{{end}}{{else}}None in the period.
{{end}}
## Emergency changes

{{if .Emergencies}}| # | declared | repository | PR | by | reference | reason | follow-up review |
|---|---|---|---|---|---|---|---|
{{range .Emergencies}}| {{.Seq}} | {{time .At}} | {{cell .Repository}} | #{{.PR}} | {{cell .Actor}} | {{cell .Reference}} | {{cell .Reason}} | {{if .Reviews}}{{range .Reviews}}by {{cell .Actor}} on {{time .At}}; {{end}}{{else}}none recorded{{end}} |
{{end}}{{else}}None in the period.
{{end}}
## Deployments

{{if .Deployments}}| environment | approved | rejected | other |
|---|---|---|---|
{{range .Deployments}}| {{cell .Environment}} | {{.Approved}} | {{.Rejected}} | {{.Other}} |
{{end}}{{else}}No deployment decision in the period.
{{end}}
## Control health

{{if .Health}}| repository | state | branch | from | until |
|---|---|---|---|---|
{{range $r := .Health}}{{range .Intervals}}| {{cell $r.Repository}} | {{.State}} | {{cell .Branch}} | {{time .From}} | {{time .Until}} |
{{end}}{{end}}{{else}}No control-health record.
{{end}}`))
