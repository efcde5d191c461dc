package policy

import (
	"regexp"
	"slices"
	"strings"
	"time"
)

// Emergency is a rule's governed break-glass. SOX allows a change to go in before its
// independent review when production is down, but an auditor then asks who declared the
// emergency and why, whether the automated checks still ran, and whether someone
// independent reviewed the change afterwards, in time. A rule without this section
// accepts no emergency at all.
type Emergency struct {
	// DeclaredBy says who may declare, with the semantics of approvals.from (users,
	// teams, a permission floor). Only Users, Teams and Permission are used.
	DeclaredBy Approvals
	// Pattern is the incident reference a declaration must carry (empty: any reference).
	Pattern string
	re      *regexp.Regexp
	// StillRequired lists what an emergency does not waive: "checks", "ticket". The
	// approval requirement is what an emergency waives, so it can never be listed.
	StillRequired []string
	// ReviewWithin is the deadline of the post-implementation review, counted from the
	// declaration.
	ReviewWithin time.Duration
	// AllowAuthor lets the PR author declare; such a declaration is flagged.
	AllowAuthor bool
}

// Values accepted by emergency.still_required, and its default.
var (
	stillRequiredValues  = []string{"checks", "ticket"}
	defaultStillRequired = []string{"checks"}
	defaultReviewWithin  = 72 * time.Hour
)

// Declaration is one `/foureyes emergency <reference> <reason>` comment on the pull
// request, recorded as an `emergency` audit record when its webhook arrived. HeadSHA is
// the head the PR had then: a push afterwards needs a new declaration.
type Declaration struct {
	By        string `json:"by"`
	At        string `json:"at"` // RFC 3339, UTC
	Reference string `json:"reference"`
	Reason    string `json:"reason"`
	HeadSHA   string `json:"head_sha"`
	CommentID int64  `json:"comment_id,omitempty"`
}

// Declaration statuses in a decision.
const (
	DeclarationAccepted   = "accepted"
	DeclarationRefused    = "refused"
	DeclarationSuperseded = "superseded" // made on an earlier head
)

// DeclarationResult is what the policy made of one declaration.
type DeclarationResult struct {
	Declaration
	Status string `json:"status"`
	// Explanation says why it was refused or superseded, or which rules still need
	// approval. (Reason is the declarer's own words.)
	Explanation string `json:"explanation"`
	// Rules whose approval requirement this declaration waived.
	Rules []string `json:"rules"`
	// ReviewDue is when the independent review after the fact is due (RFC 3339, UTC):
	// the earliest deadline of the waived rules.
	ReviewDue string `json:"review_due,omitempty"`
	// Flagged marks a declaration by the PR author (allowed by allow_author).
	Flagged bool `json:"flagged,omitempty"`
}

// EmergencyResult lists the declarations of a decision; Active is the index of the one
// that waived approvals (-1 for none).
type EmergencyResult struct {
	Declarations []DeclarationResult `json:"declarations"`
	Active       int                 `json:"active"`
}

// Sentence is what the check run, its title and the reply say of an accepted
// declaration: "emergency change INC-4711 declared by ivan: independent review due by
// <time>".
func (x DeclarationResult) Sentence() string {
	s := "emergency change " + x.Reference + " declared by " + x.By
	if x.ReviewDue != "" {
		s += ": independent review due by " + x.ReviewDue
	}
	return s
}

// ActiveDeclaration returns the declaration that waived approvals, if any.
func (d Decision) ActiveDeclaration() (DeclarationResult, bool) {
	if d.Emergency == nil || d.Emergency.Active < 0 || d.Emergency.Active >= len(d.Emergency.Declarations) {
		return DeclarationResult{}, false
	}
	return d.Emergency.Declarations[d.Emergency.Active], true
}

// EmergencyCommand is a parsed `/foureyes emergency` comment.
type EmergencyCommand struct {
	Reference string
	Reason    string
}

// Bounds on what a commenter can make foureyes store and show.
const (
	maxReferenceLen = 100
	maxReasonLen    = 1000
)

// ParseEmergencyCommand reads a PR comment. It reports ok when the comment is an
// emergency command (its first non-blank line starts with `/foureyes emergency`), even
// one without a reference: the policy refuses that with a reason the author can act on.
// The reference is the next word; the reason is the rest of the comment, bounded.
func ParseEmergencyCommand(body string) (EmergencyCommand, bool) {
	body = strings.TrimLeft(body, " \t\r\n")
	const cmd = "/foureyes emergency"
	if !strings.HasPrefix(body, cmd) {
		return EmergencyCommand{}, false
	}
	rest := body[len(cmd):]
	if rest != "" && !isSpace(rest[0]) {
		return EmergencyCommand{}, false // e.g. "/foureyes emergencyX"
	}
	rest = strings.TrimLeft(rest, " \t")
	line, more, _ := strings.Cut(rest, "\n")
	line = strings.TrimRight(line, " \t\r")
	ref, reason, _ := strings.Cut(line, " ")
	reason = strings.TrimSpace(strings.TrimSpace(reason) + "\n" + strings.TrimSpace(more))
	return EmergencyCommand{Reference: bounded(ref, maxReferenceLen), Reason: bounded(reason, maxReasonLen)}, true
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// bounded cuts s to at most n bytes on a UTF-8 boundary.
func bounded(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 { // a continuation byte: back up to a rune start
		n--
	}
	return s[:n]
}

// emergencyState is what one evaluation decided about declarations: computed once,
// before the rules, because every rule's approvals may be waived by the same one.
type emergencyState struct {
	result *EmergencyResult
	active *DeclarationResult
	// accepted maps a rule name to whether the active declaration waives it.
	accepted map[string]bool
}

// judgeDeclarations decides every declaration against the rules that apply. The latest
// declaration on the current head that at least one rule accepts becomes active.
func (e *evaluator) judgeDeclarations(rules []*Rule) {
	f := e.f
	if len(f.Emergency) == 0 {
		return
	}
	head := f.PullRequest.Head.SHA
	res := &EmergencyResult{Declarations: make([]DeclarationResult, 0, len(f.Emergency)), Active: -1}
	var activeAccepted map[string]bool
	for _, decl := range f.Emergency {
		dr := DeclarationResult{Declaration: decl, Rules: []string{}}
		if !strings.EqualFold(decl.HeadSHA, head) {
			dr.Status, dr.Explanation = DeclarationSuperseded, "declared on "+short(decl.HeadSHA)+"; head is now "+short(head)+": a push after a declaration needs a new declaration"
			res.Declarations = append(res.Declarations, dr)
			continue
		}
		accepted := map[string]bool{}
		var refusals []string
		var due time.Time
		considered := 0
		for _, r := range rules {
			if ok, _ := e.applies(r); !ok || r.Approvals == nil {
				continue
			}
			considered++
			why := e.refuseDeclaration(r, decl)
			if why != "" {
				refusals = append(refusals, why)
				continue
			}
			accepted[r.Name] = true
			dr.Rules = append(dr.Rules, r.Name)
			if decl.By == f.PullRequest.Author {
				dr.Flagged = true
			}
			if at, ok := parseTime(decl.At); ok {
				if d := at.Add(r.Emergency.ReviewWithin); due.IsZero() || d.Before(due) {
					due = d
				}
			}
		}
		switch {
		case considered == 0:
			dr.Status, dr.Explanation = DeclarationRefused, "no rule that requires approval applies to this change: there is nothing to waive"
		case len(dr.Rules) == 0:
			dr.Status, dr.Explanation = DeclarationRefused, withMore(refusals[0], len(refusals)-1)
		default:
			dr.Status = DeclarationAccepted
			if !due.IsZero() {
				dr.ReviewDue = due.UTC().Format(time.RFC3339)
			}
			if len(refusals) > 0 {
				dr.Explanation = "still needs approval: " + withMore(refusals[0], len(refusals)-1)
			}
			activeAccepted = accepted
			res.Active = len(res.Declarations)
		}
		res.Declarations = append(res.Declarations, dr)
	}
	e.emergency = emergencyState{result: res, accepted: activeAccepted}
	if res.Active >= 0 {
		e.emergency.active = &res.Declarations[res.Active]
	}
}

// refuseDeclaration returns why rule r does not accept decl, or "" when it does.
func (e *evaluator) refuseDeclaration(r *Rule, decl Declaration) string {
	em := r.Emergency
	switch {
	case em == nil:
		return "rule \"" + r.Name + "\" has no emergency section: no emergency can be declared for it"
	case decl.Reference == "":
		return "an incident reference is required: /foureyes emergency <reference> <reason>"
	case em.re != nil && !em.re.MatchString(decl.Reference):
		return "reference " + decl.Reference + " does not match " + em.Pattern + " (rule \"" + r.Name + "\")"
	case strings.EqualFold(decl.By, e.f.PullRequest.Author) && !em.AllowAuthor:
		return decl.By + " is the author of the pull request and rule \"" + r.Name + "\" does not allow the author to declare"
	}
	if why := e.ineligible(decl.By, &em.DeclaredBy); why != "" {
		return why + " (who may declare an emergency for rule \"" + r.Name + "\")"
	}
	return ""
}

// waived returns the requirement result that replaces kind in rule r when the active
// declaration waives it, or false.
func (e *evaluator) waived(r *Rule, kind string) (RequirementResult, bool) {
	a := e.emergency.active
	if a == nil || !e.emergency.accepted[r.Name] {
		return RequirementResult{}, false
	}
	if kind != KindApprovals && slices.Contains(r.Emergency.StillRequired, kind) {
		return RequirementResult{}, false
	}
	text := a.Sentence()
	if a.Flagged {
		text += " (declared by the author)"
	}
	return RequirementResult{Kind: kind, Status: StatusPass, Reason: "waived: " + text,
		Evidence: []Evidence{{Kind: EvidenceEmergency, Subject: a.By, SHA: a.HeadSHA, Source: a.Reference, Text: text}}}, true
}

// EvidenceEmergency marks a requirement waived by an emergency declaration.
const EvidenceEmergency = "emergency"

func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
