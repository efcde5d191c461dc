package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/backtest"
	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/facts"
	"github.com/foureyes/foureyes/internal/ghclient"
	"github.com/foureyes/foureyes/internal/setup"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

func newPolicyBacktestCmd() *cobra.Command {
	var (
		repo, sinceFlag, untilFlag, policyFile, baselineFile, format string
		useGitHub                                                    bool
		reserve, perChange                                           int
	)
	cmd := &cobra.Command{
		Use:   "backtest --repo OWNER/NAME --since DATE [--until DATE] [--policy FILE] [--baseline FILE] [--github]",
		Short: "Judge the pull requests merged in a period under a candidate policy: which would have failed, and why",
		Long: "Each pull request merged in [--since, --until) is evaluated under the candidate policy (--policy, default\n" +
			".github/foureyes.yml, merged with --baseline) from the facts recorded in the audit log with its last decision.\n" +
			"With --github (and --config holding the GitHub App's credentials), pull requests merged before foureyes\n" +
			"watched the repository are gathered from GitHub, stopping --reserve requests above the rate limit.\n" +
			"Exit 0 when none would have been blocked, 1 when some would (failed or pending), 2 when it cannot run.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			stdout := cmd.OutOrStdout()
			if repo == "" || sinceFlag == "" {
				return exitCode(exitUsage, errors.New("policy backtest: --repo and --since are required"))
			}
			if format != "text" && format != "json" {
				return exitCode(exitUsage, fmt.Errorf("policy backtest: unknown --format %q (use text or json)", format))
			}
			since, err := parseDay(sinceFlag)
			if err != nil {
				return exitCode(exitUsage, fmt.Errorf("--since: %w", err))
			}
			until := time.Now().UTC()
			if untilFlag != "" {
				if until, err = parseDay(untilFlag); err != nil {
					return exitCode(exitUsage, fmt.Errorf("--until: %w", err))
				}
			}
			p, err := loadMerged(baselineFile, policyFile)
			if err != nil {
				var perr policy.Errors
				if errors.As(err, &perr) {
					printErrors(cmd.ErrOrStderr(), err)
					return exitCode(exitUsage, nil)
				}
				return exitCode(exitUsage, err)
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			changes, first, err := backtest.FromAudit(ctx, st, repo, since, until)
			if err != nil {
				return exitCode(exitUsage, err)
			}
			incomplete := ""
			if before := firstOr(first, until); useGitHub && since.Before(before) {
				gh, err := backtestGitHub(cmd, repo, st, reserve, perChange)
				if err != nil {
					return exitCode(exitUsage, err)
				}
				known := map[int]bool{}
				for _, c := range changes {
					known[c.PR] = true
				}
				more, inc, err := gh.Merged(ctx, repo, since, before, known, p)
				changes = append(changes, more...)
				if err != nil {
					incomplete = "GitHub: " + err.Error()
				} else {
					incomplete = inc
				}
			} else if !useGitHub && (first.IsZero() || since.Before(first)) {
				incomplete = "changes merged before foureyes watched " + repo
				if !first.IsZero() {
					incomplete += " (" + first.UTC().Format(time.RFC3339) + ")"
				}
				incomplete += " are not in the audit log: add --github to gather them"
			}
			r := backtest.Run(p, repo, since, until, changes, incomplete)
			if format == "json" {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(jsonReport(r)); err != nil {
					return err
				}
			} else {
				printBacktest(stdout, r)
			}
			if r.WouldBlock() > 0 {
				return exitCode(exitFail, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "repository `OWNER/NAME`")
	cmd.Flags().StringVar(&sinceFlag, "since", "", "start of the period: `DATE` (2026-11-01) or RFC 3339 time")
	cmd.Flags().StringVar(&untilFlag, "until", "", "end of the period (exclusive; default now)")
	cmd.Flags().StringVar(&policyFile, "policy", ".github/foureyes.yml", "candidate policy `FILE`")
	cmd.Flags().StringVar(&baselineFile, "baseline", "", "org baseline policy `FILE` to merge it with")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	cmd.Flags().BoolVar(&useGitHub, "github", false, "gather from GitHub the changes merged before foureyes watched the repository")
	cmd.Flags().IntVar(&reserve, "reserve", 1000, "with --github: requests of the rate limit to leave untouched")
	cmd.Flags().IntVar(&perChange, "per-change", 8, "with --github: estimated requests to gather one change")
	cmd.Flags().String("store", defaultStoreDSN(), "SQLite file path or postgres:// URL of the audit log")
	cmd.Flags().String("config", "", "server configuration file: the store (when --store is not given) and, with --github, the GitHub App")
	return cmd
}

func firstOr(first, until time.Time) time.Time {
	if first.IsZero() || first.After(until) {
		return until
	}
	return first
}

func parseDay(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	return time.Parse("2006-01-02", s)
}

// backtestGitHub builds an installation client for repo from the server configuration.
func backtestGitHub(cmd *cobra.Command, repo string, st store.Audit, reserve, perChange int) (backtest.GitHub, error) {
	file, _ := cmd.Flags().GetString("config")
	if file == "" {
		return backtest.GitHub{}, errors.New("--github needs --config with the GitHub App's credentials")
	}
	cfg, err := config.Load(file, os.Environ())
	if err != nil {
		return backtest.GitHub{}, err
	}
	if !cfg.HasCredentials() && cfg.GitHub.CredentialsFile != "" {
		c, err := setup.LoadCredentials(cfg.GitHub.CredentialsFile) // written by the setup page
		if err != nil {
			return backtest.GitHub{}, fmt.Errorf("credentials file %s: %w", cfg.GitHub.CredentialsFile, err)
		}
		cfg.GitHub.App.IntegrationID, cfg.GitHub.App.PrivateKey = c.AppID, c.PrivateKey
	}
	if !cfg.HasCredentials() {
		return backtest.GitHub{}, errors.New("--github: the configuration names no GitHub App")
	}
	if key := cfg.GitHub.App.PrivateKey; key != "" && !strings.Contains(key, "PRIVATE KEY") {
		pem, err := os.ReadFile(key) // private_key may be the path of the PEM file
		if err != nil {
			return backtest.GitHub{}, fmt.Errorf("github.app.private_key: %w", err)
		}
		cfg.GitHub.App.PrivateKey = string(pem)
	}
	creator, err := ghclient.NewClientCreator(cfg.GitHub.AppConfig(), nil, 30*time.Second)
	if err != nil {
		return backtest.GitHub{}, err
	}
	var inst int64
	if rec, err := st.Latest(cmd.Context(), store.Filter{Repo: repo}); err == nil {
		inst = rec.Installation
	}
	if inst == 0 {
		app, err := creator.NewAppClient()
		if err != nil {
			return backtest.GitHub{}, err
		}
		owner, name, _ := strings.Cut(repo, "/")
		in, _, err := app.Apps.FindRepositoryInstallation(cmd.Context(), owner, name)
		if err != nil {
			return backtest.GitHub{}, fmt.Errorf("installation of %s: %w", repo, err)
		}
		inst = in.GetID()
	}
	client, err := creator.NewInstallationClient(inst)
	if err != nil {
		return backtest.GitHub{}, err
	}
	return newBacktestGitHub(client, reserve, perChange), nil
}

func newBacktestGitHub(client *github.Client, reserve, perChange int) backtest.GitHub {
	return backtest.GitHub{Client: client, Gatherer: facts.New(), Reserve: reserve, PerChange: perChange}
}

func printBacktest(w io.Writer, r backtest.Report) {
	fmt.Fprintf(w, "backtest of %s, merged %s to %s, under policy %s\n\n", r.Repo,
		r.Since.UTC().Format(time.RFC3339), r.Until.UTC().Format(time.RFC3339), r.PolicyDigest)
	for _, res := range r.Results {
		head := fmt.Sprintf("#%d (%.7s, merged %s, %s)", res.PR, res.HeadSHA, res.MergedAt.UTC().Format("2006-01-02 15:04"), res.Source)
		if res.Facts == nil {
			fmt.Fprintf(w, "?    %s: not evaluated: %s\n", head, res.NoFacts)
			continue
		}
		was := ""
		if res.Recorded != "" {
			was = " (recorded " + res.Recorded + ")"
		}
		fmt.Fprintf(w, "%-4s %s%s: %s\n", strings.ToUpper(string(res.Decision.Outcome)), head, was, res.Decision.Title)
		if res.Decision.Outcome == policy.OutcomePass {
			continue
		}
		for _, rule := range res.Decision.Rules {
			if rule.Status == policy.StatusFail || rule.Status == policy.StatusPending {
				fmt.Fprintf(w, "       rule %q: %s\n", rule.Name, rule.Reason)
			}
		}
	}
	fmt.Fprintf(w, "\n%d merged: %d would pass, %d would fail, %d would be pending, %d not evaluated; %d differ from the recorded outcome\n",
		len(r.Results), r.Passed, r.Failed, r.Pended, r.NoFacts, r.Changed)
	if r.Incomplete != "" {
		fmt.Fprintln(w, "incomplete: "+r.Incomplete)
	}
}

type jsonChange struct {
	PR       int              `json:"pr"`
	HeadSHA  string           `json:"head_sha"`
	MergedAt string           `json:"merged_at"`
	Source   string           `json:"source"`
	Recorded string           `json:"recorded,omitempty"`
	Outcome  string           `json:"outcome"` // pass, fail, pending, or not_evaluated
	Title    string           `json:"title"`
	Decision *policy.Decision `json:"decision,omitempty"`
}

func jsonReport(r backtest.Report) any {
	out := struct {
		Repo         string       `json:"repo"`
		Since        string       `json:"since"`
		Until        string       `json:"until"`
		PolicyDigest string       `json:"policy_digest"`
		Changes      []jsonChange `json:"changes"`
		Passed       int          `json:"passed"`
		Failed       int          `json:"failed"`
		Pending      int          `json:"pending"`
		NotEvaluated int          `json:"not_evaluated"`
		Changed      int          `json:"changed"`
		Incomplete   string       `json:"incomplete,omitempty"`
	}{Repo: r.Repo, Since: r.Since.UTC().Format(time.RFC3339), Until: r.Until.UTC().Format(time.RFC3339), PolicyDigest: r.PolicyDigest,
		Changes: []jsonChange{}, Passed: r.Passed, Failed: r.Failed, Pending: r.Pended, NotEvaluated: r.NoFacts, Changed: r.Changed, Incomplete: r.Incomplete}
	for _, res := range r.Results {
		c := jsonChange{PR: res.PR, HeadSHA: res.HeadSHA, MergedAt: res.MergedAt.UTC().Format(time.RFC3339), Source: res.Source, Recorded: res.Recorded}
		if res.Facts == nil {
			c.Outcome, c.Title = "not_evaluated", res.NoFacts
		} else {
			d := res.Decision
			c.Outcome, c.Title, c.Decision = string(d.Outcome), d.Title, &d
		}
		out.Changes = append(out.Changes, c)
	}
	return out
}
