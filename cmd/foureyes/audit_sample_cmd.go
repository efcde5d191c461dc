package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/evidence"
)

// periodFlags are the --since/--until/--repo flags the evidence commands share.
type periodFlags struct {
	since, until, org string
	repos             []string
}

func (p *periodFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.since, "since", "", "first day of the period (RFC 3339 or YYYY-MM-DD, UTC, inclusive)")
	cmd.Flags().StringVar(&p.until, "until", "", "end of the period (RFC 3339 or YYYY-MM-DD, UTC, exclusive)")
}

func (p *periodFlags) query() (evidence.PopulationQuery, error) {
	q := evidence.PopulationQuery{Repos: p.repos, Org: p.org}
	var err error
	if q.Since, err = parseTime(p.since); err != nil {
		return q, exitCode(exitCannotRun, fmt.Errorf("--since: %w", err))
	}
	if q.Until, err = parseTime(p.until); err != nil {
		return q, exitCode(exitCannotRun, fmt.Errorf("--until: %w", err))
	}
	return q, nil
}

// writeOutput writes what render produces to out, or to stdout when out is "" (a file is
// written completely, then renamed into place, so a half-written file never looks done).
// An existing out is evidence someone may rely on: it is replaced only with force.
func writeOutput(stdout io.Writer, out string, force bool, render func(io.Writer) error) error {
	if out == "" {
		return render(stdout)
	}
	if err := refuseOverwrite(force, out); err != nil {
		return err
	}
	tmp := out + ".partial"
	f, err := os.Create(tmp)
	if err != nil {
		return exitCode(exitCannotRun, err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = render(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return exitCode(exitCannotRun, err)
	}
	return nil
}

func newAuditSampleCmd() *cobra.Command {
	var (
		period            periodFlags
		size              int
		seed, format, out string
		force             bool
		strata            []string
		evidenceDir       string
	)
	cmd := &cobra.Command{
		Use:   "sample --since D --until D [--repo R ...] --size N --seed S [--strata violation,emergency,weekend,deployment] [--format csv|json] [--out FILE] [--evidence DIR]",
		Short: "Draw a reproducible, seeded sample of the period's changes (docs/audit.md, Sampling)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("size") || !cmd.Flags().Changed("seed") {
				return exitCode(exitCannotRun, errors.New("sample needs --size and --seed"))
			}
			if format != "csv" && format != "json" {
				return exitCode(exitCannotRun, fmt.Errorf("--format must be csv or json, not %q", format))
			}
			q, err := period.query()
			if err != nil {
				return err
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			pop, err := evidence.LoadPopulation(ctx, st, q)
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			s, err := evidence.Draw(pop, evidence.SampleQuery{Size: size, Seed: seed, Strata: strata})
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			if err := writeOutput(cmd.OutOrStdout(), out, force, func(w io.Writer) error { return evidence.WriteSample(w, s, pop, format) }); err != nil {
				return err
			}
			if evidenceDir != "" {
				return writeSamplePackages(cmd, st, s, evidenceDir, force)
			}
			return nil
		},
	}
	period.add(cmd)
	cmd.Flags().StringSliceVar(&period.repos, "repo", nil, "only these owner/name (repeatable)")
	cmd.Flags().IntVar(&size, "size", 0, "how many changes to draw")
	cmd.Flags().StringVar(&seed, "seed", "", "the seed (any text; record it with the sample)")
	cmd.Flags().StringSliceVar(&strata, "strata", nil, "weight the sample toward these strata: violation, emergency, weekend, deployment")
	cmd.Flags().StringVar(&format, "format", "csv", "csv or json")
	cmd.Flags().StringVar(&out, "out", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&evidenceDir, "evidence", "", "also write one evidence package per sampled change into DIR")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out and the packages in --evidence when they exist")
	return cmd
}

// refuseOverwrite is the usage error for an --out that exists, unless --force.
func refuseOverwrite(force bool, paths ...string) error {
	if force {
		return nil
	}
	for _, f := range paths {
		if _, err := os.Stat(f); err == nil {
			return exitCode(exitCannotRun, fmt.Errorf("--out: %s exists; pass --force to overwrite it", f))
		}
	}
	return nil
}
