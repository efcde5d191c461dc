package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// Exception states. A violation is always open until a reviewer explains it (the
// console's review notes); an emergency change is open until its independent review
// after the fact (a `pir` record), and overdue once review_within has passed.
const (
	ExceptionOpen    = "open"
	ExceptionOverdue = "overdue"
	ExceptionClosed  = "closed"
)

// Exception kinds.
const (
	ExceptionViolation = "violation"
	ExceptionEmergency = "emergency"
)

// Exception is one change that did not go through the normal control: a merge without
// a passing decision (violation), or a merge under an emergency declaration.
type Exception struct {
	Kind   string    `json:"kind"`
	Status string    `json:"status"`
	Repo   string    `json:"repository"`
	PR     int       `json:"pr"`
	SHA    string    `json:"sha"`
	Seq    int64     `json:"seq"` // the merge (or violation) record
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // who merged
	Text   string    `json:"text"`
	// Emergency changes.
	Reference  string    `json:"reference,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	DeclaredBy string    `json:"declared_by,omitempty"`
	Flagged    bool      `json:"flagged,omitempty"`
	ReviewDue  time.Time `json:"review_due,omitzero"`
	ReviewedBy []string  `json:"reviewed_by,omitempty"`
	ReviewSeq  int64     `json:"review_seq,omitempty"` // the pir record
	ReviewedAt time.Time `json:"reviewed_at,omitzero"`
}

// ExceptionQuery selects exceptions by when the change was merged; Now decides which
// open emergency reviews are overdue (injectable, so a test or an auditor can ask "as
// of" a moment). Scope, when set, keeps only the repositories it names, in SQL (the
// console's session).
type ExceptionQuery struct {
	Since, Until time.Time
	Repo         string
	Scope        *store.Scope
	Now          time.Time
}

// Exceptions lists violations and emergency changes merged in the period, oldest first.
// A post-implementation review closes an emergency change whenever it happened, also
// after the period: that is what an auditor checks. Emergency changes are found from
// their declarations (few), not by reading every merge's decision.
func Exceptions(ctx context.Context, src store.Audit, q ExceptionQuery) ([]Exception, error) {
	out, err := violations(ctx, src, q)
	if err != nil {
		return nil, err
	}
	em, err := Emergencies(ctx, src, q)
	if err != nil {
		return nil, err
	}
	out = append(out, em...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// violations lists the violation records of the period.
func violations(ctx context.Context, src store.Audit, q ExceptionQuery) ([]Exception, error) {
	var out []Exception
	f := store.Filter{Since: q.Since, Until: q.Until, Repo: q.Repo, Scope: q.Scope, Kinds: []store.Kind{store.KindViolation}}
	err := src.Query(ctx, f, func(r store.Record) error {
		out = append(out, Exception{Kind: ExceptionViolation, Status: ExceptionOpen, Repo: r.Repository, PR: r.PR,
			SHA: r.SHA, Seq: r.Seq, At: r.RecordedAt, Actor: r.Actor, Text: violationText(r)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read violations: %w", err)
	}
	return out, nil
}

// Emergencies lists the emergency changes merged in the period, oldest first, with the
// state of the review each owes.
func Emergencies(ctx context.Context, src store.Audit, q ExceptionQuery) ([]Exception, error) {
	var out []Exception
	type change struct {
		repo string
		pr   int
	}
	var declared []change
	seen := map[change]bool{}
	err := src.Query(ctx, store.Filter{Repo: q.Repo, Scope: q.Scope, Kinds: []store.Kind{store.KindEmergency}}, func(r store.Record) error {
		if c := (change{r.Repository, r.PR}); !seen[c] {
			seen[c] = true
			declared = append(declared, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read emergency declarations: %w", err)
	}
	for _, c := range declared {
		merge, err := src.Latest(ctx, store.Filter{Repo: c.repo, PR: c.pr, Kinds: []store.Kind{store.KindMerge}})
		if errors.Is(err, store.ErrNotFound) {
			continue // not merged (yet): nothing went in without its review
		}
		if err != nil {
			return nil, fmt.Errorf("merge of %s#%d: %w", c.repo, c.pr, err)
		}
		if (!q.Since.IsZero() && merge.RecordedAt.Before(q.Since)) || (!q.Until.IsZero() && !merge.RecordedAt.Before(q.Until)) {
			continue
		}
		var d policy.Decision
		if len(merge.Decision) == 0 || json.Unmarshal(merge.Decision, &d) != nil {
			continue
		}
		a, ok := d.ActiveDeclaration()
		if !ok {
			continue // merged without the emergency standing (e.g. approved after all)
		}
		x := Exception{Kind: ExceptionEmergency, Status: ExceptionOpen, Repo: merge.Repository, PR: merge.PR, SHA: merge.SHA,
			Seq: merge.Seq, At: merge.RecordedAt, Actor: merge.Actor, Reference: a.Reference, Reason: a.Reason,
			DeclaredBy: a.By, Flagged: a.Flagged}
		if due, err := time.Parse(time.RFC3339, a.ReviewDue); err == nil {
			x.ReviewDue = due
		}
		pir, err := src.Latest(ctx, store.Filter{Repo: x.Repo, PR: x.PR, Kinds: []store.Kind{store.KindPIR}})
		switch {
		case err == nil && pir.Seq > x.Seq:
			var rr policy.ReviewResult
			_ = json.Unmarshal(pir.Decision, &rr)
			x.Status, x.ReviewSeq, x.ReviewedAt, x.ReviewedBy = ExceptionClosed, pir.Seq, pir.RecordedAt, rr.Reviewers
			x.Text = "emergency change " + x.Reference + " reviewed after the fact by " + joinLogins(rr.Reviewers)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("review of %s#%d: %w", x.Repo, x.PR, err)
		default:
			x.Text = "emergency change " + x.Reference + " declared by " + x.DeclaredBy + ": independent review "
			if !x.ReviewDue.IsZero() && q.Now.After(x.ReviewDue) {
				x.Status = ExceptionOverdue
				x.Text += "overdue since " + x.ReviewDue.UTC().Format(time.RFC3339)
			} else {
				x.Text += "due by " + x.ReviewDue.UTC().Format(time.RFC3339)
			}
		}
		out = append(out, x)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// CountOverdue counts the emergency changes whose review is overdue at now (any period):
// the gauge behind foureyes_emergency_reviews_overdue.
func CountOverdue(ctx context.Context, src store.Audit, now time.Time) (int, error) {
	xs, err := Exceptions(ctx, src, ExceptionQuery{Now: now})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, x := range xs {
		if x.Status == ExceptionOverdue {
			n++
		}
	}
	return n, nil
}

func violationText(r store.Record) string {
	var d struct {
		Violation string `json:"violation"`
	}
	if json.Unmarshal(r.Facts, &d) == nil && d.Violation != "" {
		return d.Violation
	}
	return "merged without a passing foureyes decision"
}

func joinLogins(ls []string) string {
	if len(ls) == 0 {
		return "(unknown)"
	}
	return strings.Join(ls, ", ")
}
