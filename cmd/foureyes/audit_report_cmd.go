package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/evidence"
)

func newAuditReportCmd() *cobra.Command {
	var (
		period      periodFlags
		format, out string
		force       bool
	)
	cmd := &cobra.Command{
		Use:   "report --since D --until D [--org O] [--format html|md|json] --out FILE",
		Short: "The period report: population, passing merges, exceptions and reviews, emergencies, deployments, control health, chain",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "html" && format != "md" && format != "json" {
				return exitCode(exitCannotRun, fmt.Errorf("--format must be html, md or json, not %q", format))
			}
			pq, err := period.query()
			if err != nil {
				return err
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			q := evidence.ReportQuery{Since: pq.Since, Until: pq.Until, Org: period.org, Format: format}
			return writeOutput(cmd.OutOrStdout(), out, force, func(w io.Writer) error {
				if err := evidence.WriteReport(cmd.Context(), w, st, q); err != nil {
					return exitCode(exitCannotRun, err)
				}
				return nil
			})
		},
	}
	period.add(cmd)
	cmd.Flags().StringVar(&period.org, "org", "", "only repositories of this organisation")
	cmd.Flags().StringVar(&format, "format", "html", "html, md or json")
	cmd.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out when it exists")
	return cmd
}

func newAuditHealthCmd() *cobra.Command {
	var (
		period periodFlags
		format string
	)
	cmd := &cobra.Command{
		Use:   "health --since D --until D [--org O] [--format text|json]",
		Short: "Per repository, the intervals of the period in each control state (enforced, unpinned, missing, unknown)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pq, err := period.query()
			if err != nil {
				return err
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			q := evidence.HealthQuery{Since: pq.Since, Until: pq.Until, Org: period.org, Format: format}
			if err := evidence.WriteHealth(cmd.Context(), cmd.OutOrStdout(), st, q); err != nil {
				return exitCode(exitCannotRun, err)
			}
			return nil
		},
	}
	period.add(cmd)
	cmd.Flags().StringVar(&period.org, "org", "", "only repositories of this organisation")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	return cmd
}
