package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/report"
	"github.com/foureyes/foureyes/policy"
)

// documentedCommands are the `foureyes ...` command lines of the README and docs (code
// blocks and inline code), and the commands foureyes prints in its own comments.
func documentedCommands(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("../../docs/*.md")
	files = append(files, "../../README.md")
	out := map[string]string{}
	inline := regexp.MustCompile("`(foureyes [^`]+)`")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inBlock := false
		for i, line := range strings.Split(string(data), "\n") {
			where := filepath.Base(f) + ":" + itoa(i+1)
			if strings.HasPrefix(strings.TrimSpace(line), "```") {
				inBlock = !inBlock
				continue
			}
			trimmed := strings.TrimSpace(line)
			if inBlock && strings.HasPrefix(trimmed, "foureyes ") {
				out[where] = trimmed
				continue
			}
			if inBlock && strings.HasPrefix(trimmed, "go run ./cmd/foureyes ") {
				out[where] = "foureyes " + strings.TrimPrefix(trimmed, "go run ./cmd/foureyes ")
				continue
			}
			for _, m := range inline.FindAllStringSubmatch(line, -1) {
				out[where] = "~" + m[1] // inline in prose: may name a command and a flag only
			}
		}
	}
	// What a deployment comment tells the reader to run.
	c := report.DeploymentComment(policy.DeploymentDecision{State: policy.DeploymentApproved}, "audit record #7 (foureyes audit trace --repo o/r --sha abc1234)")
	for _, m := range regexp.MustCompile(`\((foureyes [^)]+)\)`).FindAllStringSubmatch(c, -1) {
		out["deployment comment"] = m[1]
	}
	return out
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return fmtInt(n/10) + string(rune('0'+n%10))
}

// Issue #17 point 2: every command foureyes documents or prints runs as written: its
// subcommand exists, its flags exist and parse, and the flags a command requires are
// there (checked by running the command's own argument checks up to opening a store).
func TestDocumentedCommandsParse(t *testing.T) {
	placeholder := regexp.MustCompile(`<[^>]*>|…`)
	cmds := documentedCommands(t)
	if len(cmds) < 10 {
		t.Fatalf("found only %d documented commands", len(cmds))
	}
	for where, line := range cmds {
		prose := strings.HasPrefix(line, "~")
		line = strings.TrimPrefix(line, "~")
		line = strings.SplitN(line, " # ", 2)[0]
		line = strings.SplitN(line, " > ", 2)[0]
		line = strings.TrimSuffix(strings.TrimSpace(placeholder.ReplaceAllString(line, "x")), "x x")
		args := strings.Fields(line)[1:]
		if strings.ContainsAny(line, "[|") || len(args) == 0 {
			continue // a usage synopsis, not a command to run
		}
		root := newRootCmd()
		root.InitDefaultHelpFlag()
		root.InitDefaultVersionFlag()
		cmd, rest, err := root.Find(args)
		if err != nil && strings.Contains(err.Error(), "unknown command") && !strings.Contains(line, " --") {
			continue // output that starts with the word foureyes ("foureyes rejected deployment ...")
		}
		if err != nil {
			t.Errorf("%s: %q: %v", where, line, err)
			continue
		}
		if cmd == root && len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
			continue // prose or output that starts with the word foureyes
		}
		if !cmd.HasFlags() && !strings.Contains(line, "-") {
			continue // the name of a command in prose
		}
		if len(rest) == 0 && cmd.HasSubCommands() {
			continue
		}
		if !strings.Contains(line, " -") {
			continue // the name of a command in prose
		}
		cmd.InitDefaultHelpFlag()
		if err := cmd.ParseFlags(rest); err != nil && !strings.Contains(err.Error(), "help requested") {
			t.Errorf("%s: %q: %v", where, line, err)
			continue
		}
		if prose && cmd.Name() != "trace" {
			continue // a mention of a flag; required flags are checked on command lines
		}
		if cmd.Name() == "trace" {
			if r, _ := cmd.Flags().GetString("repo"); r == "" {
				t.Errorf("%s: %q: trace needs --repo", where, line)
			}
		}
		if cmd.Name() == "eval" {
			p, _ := cmd.Flags().GetString("policy")
			f, _ := cmd.Flags().GetString("facts")
			if p == "" || f == "" {
				t.Errorf("%s: %q: eval needs --policy and --facts", where, line)
			}
		}
	}
}
