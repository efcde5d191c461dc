package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/audit"
)

func newAuditExceptionsCmd() *cobra.Command {
	var since, until, repo, format, at, status string
	cmd := &cobra.Command{
		Use:   "exceptions [--since T] [--until T] [--repo o/r] [--status open|overdue|closed|all] [--format text|json]",
		Short: "List violations and emergency changes, with each emergency's review after the fact (open, overdue, closed)",
		Long: `exceptions lists the changes that did not go through the normal control, merged in the period:
merges without a passing decision (violations) and merges under an emergency declaration,
with the state of the independent review each emergency owes (open, overdue past its
review_within deadline, or closed by a pir record). --at judges "overdue" as of another
moment (default: now).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := audit.ExceptionQuery{Repo: repo, Now: time.Now().UTC()}
			var err error
			if q.Since, err = parseTime(since); err != nil {
				return exitCode(exitCannotRun, fmt.Errorf("--since: %w", err))
			}
			if q.Until, err = parseTime(until); err != nil {
				return exitCode(exitCannotRun, fmt.Errorf("--until: %w", err))
			}
			if at != "" {
				if q.Now, err = parseTime(at); err != nil || q.Now.IsZero() {
					return exitCode(exitCannotRun, fmt.Errorf("--at: %v", err))
				}
			}
			switch status {
			case "all", audit.ExceptionOpen, audit.ExceptionOverdue, audit.ExceptionClosed:
			default:
				return exitCode(exitCannotRun, fmt.Errorf("--status must be open, overdue, closed or all, not %q", status))
			}
			if format != "text" && format != "json" {
				return exitCode(exitCannotRun, fmt.Errorf("--format must be text or json, not %q", format))
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			xs, err := audit.Exceptions(cmd.Context(), st, q)
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			kept := xs[:0]
			for _, x := range xs {
				if status == "all" || x.Status == status {
					kept = append(kept, x)
				}
			}
			return writeExceptions(cmd.OutOrStdout(), kept, format)
		},
	}
	cmd.Flags().StringVar(&since, "since", "", "first merge included (RFC 3339 or YYYY-MM-DD, UTC)")
	cmd.Flags().StringVar(&until, "until", "", "merges before this moment (RFC 3339 or YYYY-MM-DD, UTC)")
	cmd.Flags().StringVar(&repo, "repo", "", "only this repository (owner/name)")
	cmd.Flags().StringVar(&status, "status", "all", "open, overdue, closed or all")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.Flags().StringVar(&at, "at", "", "judge overdue reviews as of this moment (default now)")
	return cmd
}

func writeExceptions(w io.Writer, xs []audit.Exception, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if xs == nil {
			xs = []audit.Exception{}
		}
		return enc.Encode(xs)
	}
	if len(xs) == 0 {
		_, err := fmt.Fprintln(w, "no exceptions")
		return err
	}
	for _, x := range xs {
		if _, err := fmt.Fprintf(w, "%-9s %-8s %s#%d seq %d %s: %s\n", x.Kind, x.Status, x.Repo, x.PR, x.Seq,
			x.At.UTC().Format(time.RFC3339), x.Text); err != nil {
			return err
		}
	}
	return nil
}
