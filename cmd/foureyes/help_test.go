package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, s := range c.Commands() {
		walk(s, fn)
	}
}

// Issue #17 point 10: every command's help starts with a one-line summary, its long
// help (if any) starts with that summary, and no flag states its default twice.
func TestHelpOneLineSummariesNoDoubledDefaults(t *testing.T) {
	walk(newRootCmd(), func(c *cobra.Command) {
		name := c.CommandPath()
		if c.Short == "" || strings.Contains(c.Short, "\n") {
			t.Errorf("%s: summary %q is not one line", name, c.Short)
		}
		if c.Long != "" && !strings.HasPrefix(c.Long, strings.TrimSuffix(c.Short, ".")) {
			t.Errorf("%s: long help does not start with the summary %q:\n%s", name, c.Short, c.Long)
		}
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if strings.Contains(f.Usage, "(default") && f.DefValue != "" && f.DefValue != "false" && f.DefValue != "[]" && f.DefValue != "0" {
				t.Errorf("%s --%s: the usage states a default and cobra adds %q: say it once", name, f.Name, f.DefValue)
			}
		})
	})
}
