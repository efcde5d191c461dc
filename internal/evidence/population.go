package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// Change kinds of the population.
const (
	ChangeMerge      = "merge"       // a pull request merged (a merge record)
	ChangeDirectPush = "direct_push" // a push to a protected default branch outside a PR
)

// Strata a change can belong to, in their fixed order (docs/audit.md, "Sampling").
const (
	StratumViolation  = "violation"  // a violation record names the change
	StratumEmergency  = "emergency"  // an emergency was declared on it
	StratumWeekend    = "weekend"    // merged, pushed or deployed on a Saturday or Sunday (UTC)
	StratumDeployment = "deployment" // a deployment decision names its SHA
)

// AllStrata is every stratum in its fixed order.
var AllStrata = []string{StratumViolation, StratumEmergency, StratumWeekend, StratumDeployment}

// Record kinds written by other parts of foureyes that evidence reads when present.
const (
	KindEmergency  store.Kind = "emergency"   // an emergency declaration
	KindPIR        store.Kind = "pir"         // a post-incident review of an emergency change
	KindReviewNote store.Kind = "review_note" // an auditor's note on an exception
)

// Change is one member of the population: a merged pull request or a direct push.
type Change struct {
	Kind       string    `json:"kind"`
	Repository string    `json:"repository"`
	PR         int       `json:"pr"`
	SHA        string    `json:"sha"` // the merge commit, or the pushed head
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	Seq        int64     `json:"seq"`  // the merge or violation record that makes it a change
	Hash       string    `json:"hash"` // that record's hash
	Strata     []string  `json:"strata"`
}

// Key identifies a change for sampling: kind, repository, PR and SHA, tab-separated.
func (c Change) Key() string {
	return c.Kind + "\t" + c.Repository + "\t" + strconv.Itoa(c.PR) + "\t" + c.SHA
}

// Line is the change's line in the population digest: its key and its strata.
func (c Change) Line() string { return c.Key() + "\t" + strings.Join(c.Strata, ",") + "\n" }

// PopulationQuery selects the changes of a period.
type PopulationQuery struct {
	Since time.Time `json:"since,omitzero"` // inclusive
	Until time.Time `json:"until,omitzero"` // exclusive
	Repos []string  `json:"repos,omitempty"`
	Org   string    `json:"org,omitempty"` // only repositories of this owner
}

func (q PopulationQuery) covers(repo string) bool {
	if q.Org != "" && !strings.HasPrefix(repo, q.Org+"/") {
		return false
	}
	return len(q.Repos) == 0 || slices.Contains(q.Repos, repo)
}

// Population is every change of the period in chain order, with its digest.
type Population struct {
	Query    PopulationQuery `json:"query"`
	HeadSeq  int64           `json:"chain_head_seq"`
	HeadHash string          `json:"chain_head_hash"`
	Size     int             `json:"size"`
	Digest   string          `json:"digest"` // SHA-256 of the changes' lines, in order
	Changes  []Change        `json:"changes"`
}

// IsDirectPush tells a direct-push violation record (written by the push handler) from a
// merge violation.
func IsDirectPush(r store.Record) bool {
	return r.Kind == store.KindViolation && r.PR == 0 && strings.HasPrefix(r.Subject, "push:")
}

// LoadPopulation reads the changes of the period from the chain, up to its head when the
// read starts: merges and direct pushes recorded in [Since, Until), then the strata from
// every record of those changes up to the head (a deployment after the period still
// marks the change as deployed). Records are streamed: memory holds the changes, not the
// chain.
func LoadPopulation(ctx context.Context, src store.ChainReader, q PopulationQuery) (Population, error) {
	p := Population{Query: q}
	var err error
	if p.HeadSeq, p.HeadHash, err = src.Head(ctx); err != nil {
		return Population{}, err
	}
	b := newPopulationBuilder(q)
	f := store.Filter{Since: q.Since, Until: q.Until, Kinds: []store.Kind{store.KindMerge, store.KindViolation}}
	if len(q.Repos) == 1 {
		f.Repo = q.Repos[0]
	}
	err = src.QueryChain(ctx, f, func(c store.ChainRecord) error {
		if c.Seq <= p.HeadSeq {
			b.candidate(c.Record)
		}
		return nil
	})
	if err != nil {
		return Population{}, err
	}
	if len(b.out) > 0 {
		err = src.ScanChain(ctx, 1, false, func(c store.ChainRecord) error {
			if c.Seq <= p.HeadSeq {
				b.mark(c.Record)
			}
			return nil
		})
		if err != nil {
			return Population{}, err
		}
	}
	p.Changes = b.changes()
	p.Size = len(p.Changes)
	p.Digest = PopulationDigest(p.Changes)
	return p, nil
}

// BuildPopulation is the population of q among recs (in sequence order): the pure part
// of LoadPopulation.
func BuildPopulation(recs []store.Record, q PopulationQuery) []Change {
	b := newPopulationBuilder(q)
	for _, r := range recs {
		b.candidate(r)
	}
	for _, r := range recs {
		b.mark(r)
	}
	return b.changes()
}

// populationBuilder collects the changes of a period (candidate, in sequence order), then
// marks their strata from every record (mark, in sequence order).
type populationBuilder struct {
	q     PopulationQuery
	out   []Change
	seen  map[string]bool
	index map[[2]string][]int // (repo, "#pr" or "@sha") -> changes
	marks []map[string]bool
}

func newPopulationBuilder(q PopulationQuery) *populationBuilder {
	return &populationBuilder{q: q, seen: map[string]bool{}, index: map[[2]string][]int{}}
}

func (b *populationBuilder) candidate(r store.Record) {
	q := b.q
	if !q.covers(r.Repository) || (!q.Since.IsZero() && r.RecordedAt.Before(q.Since)) || (!q.Until.IsZero() && !r.RecordedAt.Before(q.Until)) {
		return
	}
	var c Change
	switch {
	case r.Kind == store.KindMerge:
		c = Change{Kind: ChangeMerge, Repository: r.Repository, PR: r.PR, SHA: r.SHA}
	case IsDirectPush(r):
		c = Change{Kind: ChangeDirectPush, Repository: r.Repository, SHA: r.SHA}
	default:
		return
	}
	if b.seen[c.Key()] {
		return // a redelivered merge: the first record counts
	}
	b.seen[c.Key()] = true
	c.Actor, c.At, c.Seq, c.Hash = r.Actor, r.RecordedAt, r.Seq, r.Hash
	i := len(b.out)
	b.out = append(b.out, c)
	if c.PR != 0 {
		k := [2]string{c.Repository, "#" + strconv.Itoa(c.PR)}
		b.index[k] = append(b.index[k], i)
	}
	k := [2]string{c.Repository, "@" + c.SHA}
	b.index[k] = append(b.index[k], i)
	m := map[string]bool{}
	if c.Kind == ChangeDirectPush {
		m[StratumViolation] = true
	}
	if isWeekend(c.At) {
		m[StratumWeekend] = true
	}
	b.marks = append(b.marks, m)
}

func (b *populationBuilder) mark(r store.Record) {
	var hits []int
	if r.PR != 0 {
		hits = append(hits, b.index[[2]string{r.Repository, "#" + strconv.Itoa(r.PR)}]...)
	}
	if r.SHA != "" {
		hits = append(hits, b.index[[2]string{r.Repository, "@" + r.SHA}]...)
	}
	for _, i := range hits {
		switch r.Kind {
		case store.KindViolation:
			b.marks[i][StratumViolation] = true
		case KindEmergency:
			b.marks[i][StratumEmergency] = true
		case store.KindDeploymentDecision, store.KindDeploymentEvent:
			if r.Kind == store.KindDeploymentDecision {
				b.marks[i][StratumDeployment] = true
			}
			if isWeekend(r.RecordedAt) {
				b.marks[i][StratumWeekend] = true
			}
		}
	}
}

func (b *populationBuilder) changes() []Change {
	for i := range b.out {
		b.out[i].Strata = []string{}
		for _, s := range AllStrata {
			if b.marks[i][s] {
				b.out[i].Strata = append(b.out[i].Strata, s)
			}
		}
	}
	return b.out
}

func isWeekend(t time.Time) bool {
	d := t.UTC().Weekday()
	return d == time.Saturday || d == time.Sunday
}

// PopulationDigest is the lower-case hex SHA-256 of the changes' lines concatenated in
// population order (each "kind TAB repository TAB pr TAB sha TAB strata LF").
func PopulationDigest(changes []Change) string {
	h := sha256.New()
	for _, c := range changes {
		h.Write([]byte(c.Line()))
	}
	return hex.EncodeToString(h.Sum(nil))
}
