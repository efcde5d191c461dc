package evidence

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/foureyes/foureyes/internal/store"
)

// HealthQuery selects `audit health`.
type HealthQuery struct {
	Since, Until time.Time
	Org          string
	Format       string // text (default) or json
	Now          func() time.Time
}

// WriteHealth writes, per repository, the intervals of the period in each control state.
func WriteHealth(ctx context.Context, w io.Writer, src store.ChainReader, q HealthQuery) error {
	now := time.Now
	if q.Now != nil {
		now = q.Now
	}
	var recs []store.Record
	err := src.QueryChain(ctx, store.Filter{Kinds: []store.Kind{KindControlHealth}}, func(c store.ChainRecord) error {
		recs = append(recs, c.Record)
		return nil
	})
	if err != nil {
		return err
	}
	hs := nonNil(HealthIntervals(recs, q.Since, q.Until, now().UTC(), q.Org))
	switch q.Format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(hs)
	case "", "text":
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REPOSITORY\tSTATE\tBRANCH\tFROM\tUNTIL\tRECORD")
		for _, h := range hs {
			for _, iv := range h.Intervals {
				rec := "-"
				if iv.Seq != 0 {
					rec = fmt.Sprintf("#%d", iv.Seq)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Repository, iv.State, iv.Branch, store.FormatTime(iv.From), store.FormatTime(iv.Until), rec)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, h := range hs {
			verdict := "NOT enforced for the whole period"
			if h.EnforcedThroughout {
				verdict = "enforced for the whole period"
			}
			fmt.Fprintf(w, "%s: %s\n", h.Repository, verdict)
		}
		return nil
	}
	return fmt.Errorf("health: unknown format %q (text or json)", q.Format)
}
