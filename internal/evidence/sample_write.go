package evidence

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/foureyes/foureyes/internal/store"
)

// SampleColumns are the CSV columns of a sample, in order.
var SampleColumns = []string{"kind", "repository", "pr", "sha", "actor", "at", "seq", "hash", "strata", "reason", "score"}

// sampleManifest is a sample without its rows: the CSV trailer.
type sampleManifest struct {
	Method           string          `json:"method"`
	Seed             string          `json:"seed"`
	Size             int             `json:"size"`
	Strata           []string        `json:"strata"`
	Query            PopulationQuery `json:"population_query"`
	PopulationSize   int             `json:"population_size"`
	PopulationDigest string          `json:"population_digest"`
	HeadSeq          int64           `json:"chain_head_seq"`
	HeadHash         string          `json:"chain_head_hash"`
	Drawn            int             `json:"drawn"`
}

// WriteSample writes s as "csv" (one row per drawn change, then a last line
// "# foureyes-sample-manifest {json}") or "json" (the sample with the whole population, so
// the draw can be repeated from the file alone).
func WriteSample(w io.Writer, s Sample, p Population, format string) error {
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(SampleColumns); err != nil {
			return err
		}
		for _, c := range s.Changes {
			if err := cw.Write([]string{c.Kind, c.Repository, strconv.Itoa(c.PR), c.SHA, c.Actor, store.FormatTime(c.At),
				strconv.FormatInt(c.Seq, 10), c.Hash, strings.Join(c.Strata, ","), c.Reason, c.Score}); err != nil {
				return err
			}
		}
		if cw.Flush(); cw.Error() != nil {
			return cw.Error()
		}
		b, err := json.Marshal(sampleManifest{Method: s.Method, Seed: s.Seed, Size: s.Size, Strata: s.Strata, Query: s.Query,
			PopulationSize: s.PopulationSize, PopulationDigest: s.PopulationDigest, HeadSeq: s.HeadSeq, HeadHash: s.HeadHash,
			Drawn: len(s.Changes)})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "# foureyes-sample-manifest %s\n", b)
		return err
	case "json":
		doc := struct {
			Sample
			Drawn      int      `json:"drawn"`
			Population []Change `json:"population"`
		}{s, len(s.Changes), nonNil(p.Changes)}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(doc)
	}
	return fmt.Errorf("sample: unknown format %q (csv or json)", format)
}
