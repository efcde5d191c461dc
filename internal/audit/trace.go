package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/foureyes/foureyes/internal/store"
)

// TraceQuery names one change: a pull request, or a commit SHA.
type TraceQuery struct {
	Repo string
	PR   int
	SHA  string
}

var deploymentKinds = []store.Kind{store.KindDeploymentDecision, store.KindDeploymentEvent}

// Trace collects the evidence chain of one change in time (sequence) order: for a PR
// its pushes, decisions, merge and violations, and the deployments of the SHAs its
// merge records name; for a SHA every record about that SHA (which includes its
// deployments).
func Trace(ctx context.Context, src store.ChainReader, q TraceQuery) ([]store.ChainRecord, error) {
	bySeq := map[int64]store.ChainRecord{}
	collect := func(f store.Filter) error {
		return src.QueryChain(ctx, f, func(c store.ChainRecord) error { bySeq[c.Seq] = c; return nil })
	}
	if q.PR != 0 {
		if err := collect(store.Filter{Repo: q.Repo, PR: q.PR}); err != nil {
			return nil, err
		}
		var merged []string
		for _, c := range bySeq {
			if c.Kind == store.KindMerge && c.SHA != "" {
				merged = append(merged, c.SHA)
			}
		}
		for _, sha := range merged {
			if err := collect(store.Filter{Repo: q.Repo, SHA: sha, Kinds: deploymentKinds}); err != nil {
				return nil, err
			}
		}
	}
	if q.SHA != "" {
		if err := collect(store.Filter{Repo: q.Repo, SHA: q.SHA}); err != nil {
			return nil, err
		}
	}
	out := make([]store.ChainRecord, 0, len(bySeq))
	for _, c := range bySeq {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, nil
}

// decision is the part of a Decision document a trace shows.
type decision struct {
	Outcome string `json:"outcome"`
	Title   string `json:"title"`
	Rules   []struct {
		Name         string `json:"name"`
		Status       string `json:"status"`
		Reason       string `json:"reason"`
		Requirements []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
			Reason string `json:"reason"`
		} `json:"requirements"`
	} `json:"rules"`
}

// WriteTrace renders a trace for a reader: one line per record, and under each
// decision its rules and their requirements with reasons.
func WriteTrace(w io.Writer, recs []store.ChainRecord) error {
	var b strings.Builder
	for _, c := range recs {
		fmt.Fprintf(&b, "#%d %s %-19s", c.Seq, store.FormatTime(c.RecordedAt), c.Kind)
		for _, kv := range [][2]string{{"pr", prString(c.PR)}, {"sha", c.SHA}, {"subject", c.Subject},
			{"actor", c.Actor}, {"outcome", c.Outcome}, {"delivery", c.DeliveryID}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, " %s=%s", kv[0], kv[1])
			}
		}
		b.WriteString("\n")
		if len(c.Decision) > 0 {
			var d decision
			if err := json.Unmarshal(c.Decision, &d); err != nil {
				fmt.Fprintf(&b, "    decision: unreadable (%v)\n", err)
			} else {
				if d.Title != "" || d.Outcome != "" {
					fmt.Fprintf(&b, "    %s: %s\n", d.Outcome, d.Title)
				}
				for _, r := range d.Rules {
					fmt.Fprintf(&b, "    rule %s: %s%s\n", r.Name, r.Status, reason(r.Reason))
					for _, q := range r.Requirements {
						fmt.Fprintf(&b, "      %s: %s%s\n", q.Kind, q.Status, reason(q.Reason))
					}
				}
			}
		}
		if c.PolicyDigest != "" {
			fmt.Fprintf(&b, "    policy %s from %s:%s@%s (blob %s)\n", c.PolicyDigest, c.PolicySource.Repo,
				c.PolicySource.Path, c.PolicySource.Ref, c.PolicySource.BlobSHA)
		}
		fmt.Fprintf(&b, "    hash %s\n", c.Hash)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func prString(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func reason(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}
