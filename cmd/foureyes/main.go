// Command foureyes is the one binary: serve, policy validate|eval, audit verify|export|trace.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code out of a command: the policy and audit commands
// promise specific codes (for example 3 for a pending decision).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// exitCode returns an error that ends the process with code; err may be nil when the
// command has already printed what the user needs.
func exitCode(code int, err error) error { return &exitError{code: code, err: err} }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "foureyes",
		Short:         "SOX change-management controls for GitHub: independent review, checks, tickets, deployment gating and a tamper-evident audit log",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
	}
	root.SetVersionTemplate("{{.Version}}")
	for _, add := range subcommands {
		root.AddCommand(add())
	}
	summaryFirst(root)
	return root
}

// summaryFirst makes every command's long help start with its one-line summary, so
// `foureyes X --help` says what X does before the details.
func summaryFirst(c *cobra.Command) {
	if c.Long != "" && !strings.HasPrefix(c.Long, strings.TrimSuffix(c.Short, ".")) {
		c.Long = c.Short + ".\n\n" + c.Long
	}
	for _, s := range c.Commands() {
		summaryFirst(s)
	}
}

// subcommands is filled by each command's file in init, so one file holds one command.
var subcommands []func() *cobra.Command

func main() {
	err := newRootCmd().Execute()
	if err == nil {
		return
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "foureyes:", ee.err)
		}
		os.Exit(ee.code)
	}
	// cobra's own errors are usage errors (unknown flag, missing argument).
	fmt.Fprintln(os.Stderr, "foureyes:", err)
	os.Exit(2)
}
