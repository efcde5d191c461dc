package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/policytest"
	"github.com/foureyes/foureyes/policy"
)

func newPolicyTestCmd() *cobra.Command {
	var timeout time.Duration
	var verbose bool
	cmd := &cobra.Command{
		Use:   "test [DIR]",
		Short: "Run the Rego unit tests (test_ rules) and YAML cases (*_test.yml) under DIR",
		Long: "Runs every test_ rule of the .rego files under DIR (default .) like `opa test`, with the built-ins foureyes allows,\n" +
			"and every case of the *_test.yml files: a policy, a facts file and the expected outcome (pass, fail, pending, error).\n" +
			"Prints failures (every result with -v) and a summary line. Exit 0 when all pass, 1 when any fails,\n" +
			"2 when nothing can be tested (no tests, a module or case file that does not parse, usage).",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
			s, err := policytest.Run(cmd.Context(), dir, timeout)
			if err != nil {
				var perr policy.Errors
				if errors.As(err, &perr) {
					printErrors(stderr, err)
					return exitCode(exitUsage, nil)
				}
				return exitCode(exitUsage, fmt.Errorf("policy test: %w", err))
			}
			for _, r := range s.Results {
				switch {
				case r.Skip:
					if verbose {
						fmt.Fprintf(stdout, "SKIP %s %s (%s)\n", r.Kind, r.Name, r.Where)
					}
				case r.Pass:
					if verbose {
						fmt.Fprintf(stdout, "PASS %s %s (%s)\n", r.Kind, r.Name, r.Where)
					}
				default:
					fmt.Fprintf(stdout, "FAIL %s %s (%s): %s\n", r.Kind, r.Name, r.Where, r.Reason)
				}
			}
			fmt.Fprintln(stdout, s.Line())
			if s.Failed > 0 {
				return exitCode(exitFail, nil)
			}
			return nil
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "bound on each Rego test")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "print every result, not only failures")
	return cmd
}
