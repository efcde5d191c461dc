package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
)

// Method names the sampling method in every sample; docs/audit.md specifies it.
const Method = "foureyes-sample-v1: rank by sha256(seed TAB key); strata take ceil(size/2) round-robin, the rest by rank"

// SampleQuery is how a sample is drawn from a population.
type SampleQuery struct {
	Size   int      `json:"size"`
	Seed   string   `json:"seed"`
	Strata []string `json:"strata,omitempty"` // a subset of AllStrata, in the order given
}

// Sampled is one drawn change, with why it was drawn.
type Sampled struct {
	Change
	Score  string `json:"score"`  // hex sha256(seed TAB key)
	Reason string `json:"reason"` // the stratum that drew it, or "random"
}

// Sample is a drawn sample and everything needed to draw it again.
type Sample struct {
	Method           string          `json:"method"`
	Seed             string          `json:"seed"`
	Size             int             `json:"size"` // requested
	Strata           []string        `json:"strata"`
	Query            PopulationQuery `json:"population_query"`
	PopulationSize   int             `json:"population_size"`
	PopulationDigest string          `json:"population_digest"`
	HeadSeq          int64           `json:"chain_head_seq"`
	HeadHash         string          `json:"chain_head_hash"`
	Changes          []Sampled       `json:"sample"` // in population order
}

// Score is the rank of a change under seed: lower-case hex SHA-256 of seed, a TAB, and
// the change's key.
func Score(seed string, c Change) string {
	sum := sha256.Sum256([]byte(seed + "\t" + c.Key()))
	return hex.EncodeToString(sum[:])
}

// Draw draws a sample: a pure function of the population and q.
//
// Every change gets Score(seed, change); lower scores come first. When strata are given,
// ceil(size/2) places go to them: the strata take turns in the order given, each taking
// its lowest-scored change not yet drawn, until those places are filled or the strata are
// exhausted. The remaining places go to the lowest-scored changes not yet drawn, whatever
// their strata. The sample is listed in population order.
func Draw(p Population, q SampleQuery) (Sample, error) {
	for _, s := range q.Strata {
		if !slices.Contains(AllStrata, s) {
			return Sample{}, fmt.Errorf("unknown stratum %q (one of %v)", s, AllStrata)
		}
	}
	if q.Size < 0 {
		return Sample{}, fmt.Errorf("sample size %d is negative", q.Size)
	}
	out := Sample{Method: Method, Seed: q.Seed, Size: q.Size, Strata: nonNil(q.Strata), Query: p.Query,
		PopulationSize: len(p.Changes), PopulationDigest: p.Digest, HeadSeq: p.HeadSeq, HeadHash: p.HeadHash,
		Changes: []Sampled{}}
	scores := make([]string, len(p.Changes))
	ranked := make([]int, len(p.Changes))
	for i, c := range p.Changes {
		scores[i], ranked[i] = Score(q.Seed, c), i
	}
	sort.SliceStable(ranked, func(a, b int) bool { return scores[ranked[a]] < scores[ranked[b]] })
	reason := map[int]string{}
	take := func(i int, why string) { reason[i] = why }
	if len(q.Strata) > 0 {
		quota := (q.Size + 1) / 2
		next := make([]int, len(q.Strata)) // position in ranked of each stratum's cursor
		for len(reason) < quota && len(reason) < len(p.Changes) {
			progressed := false
			for si, s := range q.Strata {
				if len(reason) == quota {
					break
				}
				for next[si] < len(ranked) {
					i := ranked[next[si]]
					next[si]++
					if _, done := reason[i]; !done && slices.Contains(p.Changes[i].Strata, s) {
						take(i, s)
						progressed = true
						break
					}
				}
			}
			if !progressed {
				break
			}
		}
	}
	for _, i := range ranked {
		if len(reason) >= q.Size {
			break
		}
		if _, done := reason[i]; !done {
			take(i, "random")
		}
	}
	for i, c := range p.Changes {
		if why, ok := reason[i]; ok {
			out.Changes = append(out.Changes, Sampled{Change: c, Score: scores[i], Reason: why})
		}
	}
	return out, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
