// Package report renders policy decisions for GitHub: the foureyes check run (title,
// summary, text), the markdown that `foureyes policy eval` prints, annotations on a
// broken policy file, and the comment on a deployment protection rule answer.
package report

import (
	"strings"

	"github.com/foureyes/foureyes/policy"
)

// MaxOutput is GitHub's limit on a check run's summary and text, in bytes.
const MaxOutput = 65535

// Output is a check run's output plus its conclusion.
type Output struct {
	Title   string
	Summary string
	Text    string
	// Conclusion is success, failure or neutral; "" while the decision is pending, when
	// the check run stays in_progress.
	Conclusion string
}

// CheckRun renders a decision as the foureyes check run.
func CheckRun(d policy.Decision) Output {
	return Output{
		Title:      oneLine(d.Title),
		Summary:    truncate(summary(d), MaxOutput),
		Text:       truncate(text(d), MaxOutput),
		Conclusion: conclusion(d),
	}
}

// Markdown is what `foureyes policy eval --format markdown` prints: the check run's
// title, summary and text exactly as GitHub shows them.
func Markdown(d policy.Decision) string {
	o := CheckRun(d)
	var b strings.Builder
	b.WriteString("## ")
	b.WriteString(o.Title)
	b.WriteString("\n\n")
	b.WriteString(o.Summary)
	if o.Text != "" {
		b.WriteString("\n")
		b.WriteString(o.Text)
	}
	return b.String()
}

func conclusion(d policy.Decision) string {
	switch d.Outcome {
	case policy.OutcomePass:
		if d.NoRuleApplied {
			return "neutral"
		}
		return "success"
	case policy.OutcomePending:
		return ""
	}
	return "failure" // fail and error: a broken policy must block, not wave through
}

var statusIcon = map[policy.Status]string{
	policy.StatusPass:    "✅ pass",
	policy.StatusFail:    "❌ fail",
	policy.StatusPending: "⏳ pending",
	policy.StatusSkipped: "➖ skipped",
}

var outcomeText = map[policy.Outcome]string{
	policy.OutcomePass:    "✅ pass",
	policy.OutcomeFail:    "❌ fail",
	policy.OutcomePending: "⏳ pending",
	policy.OutcomeError:   "⚠️ error",
}

// summary is a table with one row per requirement (and one per skipped rule).
func summary(d policy.Decision) string {
	var b strings.Builder
	b.WriteString("**Outcome: " + outcomeText[d.Outcome] + "**")
	if d.PolicyDigest != "" {
		b.WriteString(" · policy `" + shortDigest(d.PolicyDigest) + "`")
	}
	b.WriteString("\n\n")
	if d.Outcome == policy.OutcomeError {
		b.WriteString("The policy file could not be read:\n\n")
		for _, e := range d.Errors {
			b.WriteString("- `" + escape(oneLine(e)) + "`\n")
		}
		return b.String()
	}
	if len(d.Rules) == 0 {
		b.WriteString("No rules are defined: no rule applies to this change.\n")
		return b.String()
	}
	b.WriteString("| Rule | Requirement | Status | Reason |\n|---|---|---|---|\n")
	for _, r := range d.Rules {
		if len(r.Requirements) == 0 {
			b.WriteString("| " + cell(r.Name) + " | — | " + statusIcon[r.Status] + " | " + cell(r.Reason) + " |\n")
			continue
		}
		for _, q := range r.Requirements {
			b.WriteString("| " + cell(r.Name) + " | " + q.Kind + " | " + statusIcon[q.Status] + " | " + cell(q.Reason) + " |\n")
		}
	}
	return b.String()
}

// text is the evidence: per rule and requirement, who counted and who did not, and
// which checks were seen from which app; then the emergency declarations.
func text(d policy.Decision) string {
	var b strings.Builder
	for _, r := range d.Rules {
		if r.Status == policy.StatusSkipped {
			continue
		}
		b.WriteString("\n### " + escape(r.Name))
		if r.Origin == policy.OriginBaseline {
			b.WriteString(" (org baseline)")
		}
		b.WriteString("\n")
		for _, q := range r.Requirements {
			b.WriteString("\n**" + q.Kind + "**: " + escape(q.Reason) + "\n")
			for _, e := range q.Evidence {
				b.WriteString("- " + evidenceMark(e) + escape(e.Text) + "\n")
			}
		}
	}
	emergencyText(&b, d)
	return b.String()
}

func evidenceMark(e policy.Evidence) string {
	switch e.Kind {
	case policy.EvidenceApproval:
		return "✅ "
	case policy.EvidenceNotCounted:
		return "🚫 "
	case policy.EvidenceChangesRequested:
		return "✋ "
	case policy.EvidenceCheck:
		switch e.Result {
		case "success", "neutral", "skipped":
			return "✅ "
		case "ignored":
			return "🚫 "
		case "absent", "pending", "queued", "in_progress", "waiting", "requested":
			return "⏳ "
		}
		return "❌ "
	case policy.EvidenceRegoDeny:
		return "❌ "
	case policy.EvidenceRegoPending:
		return "⏳ "
	case policy.EvidenceRego:
		if e.Subject != "" {
			return "↳ " + escape(e.Subject) + ": "
		}
		return "↳ "
	}
	return ""
}

func shortDigest(s string) string {
	if len(s) > 19 {
		return s[:19]
	}
	return s
}

// cell makes text safe inside a markdown table cell.
func cell(s string) string {
	return strings.ReplaceAll(escape(oneLine(s)), "|", `\|`)
}

// escape neutralises markdown and HTML that user-controlled text (titles, logins,
// check names) could use to forge a line of the report.
func escape(s string) string {
	return htmlEscaper.Replace(s)
}

var htmlEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "`", "'")

func oneLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// truncate cuts s to at most n bytes at a UTF-8 boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "\n… (truncated)"
	cut, tail := n-len(mark), mark
	if cut < 0 {
		cut, tail = max(n, 0), ""
	}
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + tail
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// emergencyText lists every emergency declaration with what became of it, so a refused
// declarer reads why on the check run itself.
func emergencyText(b *strings.Builder, d policy.Decision) {
	if d.Emergency == nil || len(d.Emergency.Declarations) == 0 {
		return
	}
	b.WriteString("\n### Emergency declarations\n\n")
	for _, x := range d.Emergency.Declarations {
		line := EmergencyLine(x)
		b.WriteString("- " + escape(line) + "\n")
	}
}

// EmergencyLine is one sentence about a declaration, for the check run and the reply
// comment: "emergency change INC-4711 declared by ivan: independent review due by ...".
func EmergencyLine(x policy.DeclarationResult) string {
	switch x.Status {
	case policy.DeclarationAccepted:
		s := x.Sentence()
		if x.Flagged {
			s += " (flagged: declared by the author)"
		}
		if x.Explanation != "" {
			s += "; " + x.Explanation
		}
		return s
	case policy.DeclarationSuperseded:
		return "emergency declaration " + orNone(x.Reference) + " by " + x.By + " no longer applies: " + x.Explanation
	}
	return "emergency declaration " + orNone(x.Reference) + " by " + x.By + " refused: " + x.Explanation
}

func orNone(s string) string {
	if s == "" {
		return "(no reference)"
	}
	return s
}

// Escape is escape for other packages that add a line to a check run (one line, markdown
// and HTML neutralised).
func Escape(s string) string { return escape(oneLine(s)) }
