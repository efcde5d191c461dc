package evidence

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/store"
)

// ReportQuery selects the period report.
type ReportQuery struct {
	Since  time.Time        `json:"since,omitzero"`
	Until  time.Time        `json:"until,omitzero"`
	Org    string           `json:"org,omitempty"`
	Format string           `json:"-"` // html (default), md or json
	Now    func() time.Time `json:"-"`
}

// Report is the statement of how the control operated over a period.
type Report struct {
	Query          ReportQuery      `json:"query"`
	GeneratedAt    time.Time        `json:"generated_at"`
	Version        string           `json:"foureyes_version"`
	Chain          ChainStatus      `json:"chain"`
	Counts         []KindCount      `json:"population_counts"`
	Merges         int              `json:"merges"`
	MergedWithPass int              `json:"merged_with_passing_decision"`
	PassPercent    float64          `json:"merged_with_passing_decision_percent"`
	Exceptions     []Exception      `json:"exceptions"`
	Emergencies    []Emergency      `json:"emergencies"`
	Deployments    []EnvironmentTot `json:"deployments"`
	Health         []RepoHealth     `json:"control_health"`
}

// ChainStatus is the result of verifying the whole chain when the report was made.
type ChainStatus struct {
	Verified bool   `json:"verified"`
	Records  int64  `json:"records"`
	HeadSeq  int64  `json:"head_seq"`
	HeadHash string `json:"head_hash"`
	Problem  string `json:"problem,omitempty"`
	// Signatures verified, and the fingerprint of the key they verify under (compare it
	// with `foureyes audit pubkey`); 0 and "" for an unsigned log.
	Signatures int    `json:"signatures"`
	SigningKey string `json:"signing_key,omitempty"`
}

// KindCount is how many records of one kind the period holds.
type KindCount struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

// Exception is a violation or a direct push, with the review notes on it.
type Exception struct {
	Event
	Repository string `json:"repository"`
	PR         int    `json:"pr,omitempty"`
	What       string `json:"what"` // "merge violation" or "direct push"
	Notes      []Note `json:"review_notes"`
}

// Note is a review note on an exception.
type Note struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	Author      string    `json:"author"`
	Disposition string    `json:"disposition"`
	Text        string    `json:"text"`
}

// Emergency is an emergency declaration and its follow-up (post-implementation reviews).
type Emergency struct {
	Event
	Repository string  `json:"repository"`
	PR         int     `json:"pr"`
	Reference  string  `json:"reference,omitempty"`
	Reason     string  `json:"reason,omitempty"`
	Reviews    []Event `json:"reviews"` // pir records
}

// EnvironmentTot counts deployment decisions of one environment.
type EnvironmentTot struct {
	Environment string `json:"environment"`
	Approved    int    `json:"approved"`
	Rejected    int    `json:"rejected"`
	Other       int    `json:"other"`
}

// BuildReport reads the chain and makes the report of q. The chain is verified in full.
func BuildReport(ctx context.Context, src store.ChainReader, q ReportQuery) (Report, error) {
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	rep := Report{Query: q, GeneratedAt: now().UTC(), Version: Version()}
	res, err := audit.VerifyWith(ctx, src, audit.Options{})
	var ce *audit.ChainError
	switch {
	case errors.As(err, &ce):
		rep.Chain.Problem = ce.Error()
		rep.Chain.HeadSeq, rep.Chain.HeadHash, _ = src.Head(ctx)
	case err != nil:
		return Report{}, err
	default:
		rep.Chain = ChainStatus{Verified: true, Records: res.Records, HeadSeq: res.HeadSeq, HeadHash: res.Head,
			Signatures: int(res.Signatures), SigningKey: res.SigningKey}
	}
	b := newReportBuilder(&rep)
	// What annotates the period's records (review notes, follow-up reviews) and the
	// control health intervals, then the period itself: streamed, never the whole chain.
	err = src.QueryChain(ctx, store.Filter{Kinds: []store.Kind{KindReviewNote, KindPIR, KindControlHealth}}, func(c store.ChainRecord) error {
		if c.Seq <= rep.Chain.HeadSeq {
			b.annotation(c.Record)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	err = src.QueryChain(ctx, store.Filter{Since: q.Since, Until: q.Until}, func(c store.ChainRecord) error {
		if c.Seq <= rep.Chain.HeadSeq {
			b.add(c.Record)
		}
		return nil
	})
	if err != nil {
		return Report{}, err
	}
	b.finish(rep.GeneratedAt)
	return rep, nil
}

// buildReport fills rep from recs (in sequence order): the pure part of BuildReport.
func buildReport(rep *Report, recs []store.Record, end time.Time) {
	b := newReportBuilder(rep)
	for _, r := range recs {
		b.annotation(r)
	}
	for _, r := range recs {
		b.add(r)
	}
	b.finish(end)
}

// reportBuilder makes a report from the records that annotate others (annotation), then
// the records of the period (add), each in sequence order.
type reportBuilder struct {
	rep       *Report
	scope     PopulationQuery
	counts    map[string]int
	notes     map[string][]Note
	pirs      map[string][]Event
	health    []store.Record
	envs      map[string]*EnvironmentTot
	seenMerge map[string]bool
}

func newReportBuilder(rep *Report) *reportBuilder {
	return &reportBuilder{rep: rep, scope: PopulationQuery{Since: rep.Query.Since, Until: rep.Query.Until, Org: rep.Query.Org},
		counts: map[string]int{}, notes: map[string][]Note{}, pirs: map[string][]Event{}, envs: map[string]*EnvironmentTot{},
		seenMerge: map[string]bool{}}
}

func (b *reportBuilder) annotation(r store.Record) {
	switch r.Kind {
	case KindReviewNote:
		var body map[string]any
		_ = json.Unmarshal(r.Facts, &body)
		text, _ := body["text"].(string)
		b.notes[r.Subject] = append(b.notes[r.Subject], Note{Seq: r.Seq, At: r.RecordedAt, Author: r.Actor, Disposition: r.Outcome, Text: text})
	case KindPIR:
		k := r.Repository + "#" + strconv.Itoa(r.PR)
		b.pirs[k] = append(b.pirs[k], eventOf(r))
	case KindControlHealth:
		b.health = append(b.health, r)
	}
}

func (b *reportBuilder) add(r store.Record) {
	q := b.rep.Query
	if !b.scope.covers(r.Repository) || (!q.Since.IsZero() && r.RecordedAt.Before(q.Since)) || (!q.Until.IsZero() && !r.RecordedAt.Before(q.Until)) {
		return
	}
	rep := b.rep
	b.counts[string(r.Kind)]++
	switch {
	case r.Kind == store.KindMerge:
		k := r.Repository + "#" + strconv.Itoa(r.PR) + "@" + r.SHA
		if b.seenMerge[k] {
			return
		}
		b.seenMerge[k] = true
		rep.Merges++
		if r.Outcome == "pass" {
			rep.MergedWithPass++
		}
	case r.Kind == store.KindViolation:
		ex := Exception{Event: eventOf(r), Repository: r.Repository, PR: r.PR, What: "merge violation", Notes: nonNil(b.notes["seq:"+strconv.FormatInt(r.Seq, 10)])}
		if IsDirectPush(r) {
			ex.What = "direct push"
		}
		var d struct {
			Violation string `json:"violation"`
			Reason    string `json:"reason"`
		}
		if json.Unmarshal(r.Facts, &d) == nil {
			ex.Detail = strings.TrimSpace(d.Violation + " " + d.Reason)
		}
		if ex.Detail == "" && IsDirectPush(r) {
			var pd struct {
				Reason string `json:"reason"`
			}
			if json.Unmarshal(r.Decision, &pd) == nil {
				ex.Detail = pd.Reason
			}
		}
		rep.Exceptions = append(rep.Exceptions, ex)
	case r.Kind == KindEmergency:
		var d map[string]any
		_ = json.Unmarshal(r.Facts, &d)
		e := Emergency{Event: eventOf(r), Repository: r.Repository, PR: r.PR, Reviews: nonNil(b.pirs[r.Repository+"#"+strconv.Itoa(r.PR)])}
		e.Reference, _ = d["reference"].(string)
		e.Reason, _ = d["reason"].(string)
		rep.Emergencies = append(rep.Emergencies, e)
	case r.Kind == store.KindDeploymentDecision:
		env := r.Subject
		if i := strings.Index(env, "env:"); i >= 0 {
			env = env[i+len("env:"):]
		}
		t := b.envs[env]
		if t == nil {
			t = &EnvironmentTot{Environment: env}
			b.envs[env] = t
		}
		switch r.Outcome {
		case "approved":
			t.Approved++
		case "rejected":
			t.Rejected++
		default:
			t.Other++
		}
	}
}

func (b *reportBuilder) finish(end time.Time) {
	rep, q := b.rep, b.rep.Query
	for _, k := range sortedKeys(b.counts) {
		rep.Counts = append(rep.Counts, KindCount{Kind: k, Count: b.counts[k]})
	}
	if rep.Merges > 0 {
		rep.PassPercent = float64(rep.MergedWithPass) * 100 / float64(rep.Merges)
	}
	for _, k := range sortedKeys(b.envs) {
		rep.Deployments = append(rep.Deployments, *b.envs[k])
	}
	if n := len(b.health); n > 0 && b.health[n-1].RecordedAt.After(end) {
		end = b.health[n-1].RecordedAt
	}
	rep.Counts, rep.Exceptions, rep.Emergencies, rep.Deployments = nonNil(rep.Counts), nonNil(rep.Exceptions), nonNil(rep.Emergencies), nonNil(rep.Deployments)
	rep.Health = nonNil(HealthIntervals(b.health, q.Since, q.Until, end, q.Org))
	sort.SliceStable(rep.Exceptions, func(i, j int) bool { return rep.Exceptions[i].Seq < rep.Exceptions[j].Seq })
}

func eventOf(r store.Record) Event {
	return Event{Seq: r.Seq, At: r.RecordedAt, Kind: string(r.Kind), Actor: r.Actor, SHA: r.SHA, Subject: r.Subject, Outcome: r.Outcome, Hash: r.Hash}
}

// WriteReport writes the period report of q to w in q.Format: html (default, prints on A4
// and Letter), md or json. The console serves the same bytes.
func WriteReport(ctx context.Context, w io.Writer, src store.ChainReader, q ReportQuery) error {
	rep, err := BuildReport(ctx, src, q)
	if err != nil {
		return err
	}
	return RenderReport(w, rep, q.Format)
}

// RenderReport writes a built report.
func RenderReport(w io.Writer, rep Report, format string) error {
	switch format {
	case "", "html":
		return reportHTML.Execute(w, rep)
	case "md":
		return reportMD.Execute(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	return fmt.Errorf("report: unknown format %q (html, md or json)", format)
}
