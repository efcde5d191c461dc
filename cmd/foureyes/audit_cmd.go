package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

func init() { subcommands = append(subcommands, newAuditCmd) }

// Exit codes of the audit commands: 1 means the evidence is bad (the chain does not
// verify), 2 that the command could not run (bad flags, no store).
const (
	exitChainBroken = 1
	exitCannotRun   = 2
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify, export, trace, sample and report on the tamper-evident audit log",
	}
	cmd.PersistentFlags().String("store", "",
		"SQLite file path or postgres:// URL (default: $FOUREYES_STORE_DSN, else "+store.DefaultDSN+")")
	cmd.PersistentFlags().String("config", "", "read the store from this server configuration file (when --store is not given)")
	cmd.AddCommand(newAuditVerifyCmd(), newAuditExportCmd(), newAuditTraceCmd(), newAuditPubkeyCmd())
	cmd.AddCommand(newAuditSampleCmd(), newAuditEvidenceCmd(), newAuditReportCmd(), newAuditHealthCmd())
	cmd.AddCommand(newAuditExceptionsCmd())
	return cmd
}

func defaultStoreDSN() string {
	if v := os.Getenv("FOUREYES_STORE_DSN"); v != "" {
		return v
	}
	return store.DefaultDSN
}

type chainStore interface {
	store.Store
	store.ChainReader
}

// openAuditStore opens the store read for evidence. A SQLite path that does not exist
// is an error: creating an empty log there would "verify" nothing.
func openAuditStore(cmd *cobra.Command) (chainStore, string, error) {
	dsn, _ := cmd.Flags().GetString("store")
	if dsn == "" {
		dsn = defaultStoreDSN() // $FOUREYES_STORE_DSN, else ./foureyes.db (not a flag default: the help says it once)
	}
	driver := os.Getenv("FOUREYES_STORE_DRIVER") // "" with --store: guessed from the DSN
	if cmd.Flags().Changed("store") {
		driver = ""
	}
	if file, _ := cmd.Flags().GetString("config"); file != "" && !cmd.Flags().Changed("store") {
		cfg, err := config.Load(file, os.Environ())
		if err != nil {
			return nil, "", exitCode(exitCannotRun, err)
		}
		dsn, driver = cfg.Store.DSN, cfg.Store.Driver
	}
	if driver == "" {
		driver = store.DriverOf(dsn)
	}
	if driver == store.DriverSQLite && store.DriverOf(dsn) == store.DriverSQLite {
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite://"), "file:")
		if i := strings.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
		if _, err := os.Stat(path); err != nil {
			return nil, "", exitCode(exitCannotRun, fmt.Errorf("no audit store at %s: %w", path, err))
		}
	}
	st, err := store.OpenChainDriver(cmd.Context(), driver, dsn)
	if err != nil {
		return nil, "", exitCode(exitCannotRun, err)
	}
	return st, store.RedactDSN(dsn), nil
}

func newAuditVerifyCmd() *cobra.Command {
	var (
		head, pubkey string
		checkpoints  []string
	)
	cmd := &cobra.Command{
		Use:   "verify [--store DSN] [--pubkey FILE] [--checkpoint FILE] [--head HASH]",
		Short: "Recompute the hash chain and check the app's signatures; exit 1 naming the first bad record",
		Long: "Recompute the hash chain and check the app's Ed25519 signatures; exit 1 naming the first\n" +
			"bad record. A record appended outside foureyes (no valid signature) is reported as tampering.\n" +
			"The public key comes from --pubkey, else from the signing key of the server configuration.\n" +
			"Each --checkpoint file (a checkpoint file or a JSON log of the server) holds signed heads:\n" +
			"a history rewritten after one of them fails.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if head != "" && !isHash(head) {
				return exitCode(exitCannotRun, fmt.Errorf("--head %q is not a record hash (64 lower-case hex digits)", head))
			}
			opts := audit.Options{Head: head}
			source := "--pubkey " + pubkey
			if pubkey != "" {
				data, err := os.ReadFile(pubkey)
				if err != nil {
					return exitCode(exitCannotRun, fmt.Errorf("--pubkey: %w", err))
				}
				if opts.PublicKey, err = signing.ParsePublicKey(data); err != nil {
					return exitCode(exitCannotRun, fmt.Errorf("--pubkey %s: %w", pubkey, err))
				}
			} else {
				pub, path, err := configuredPublicKey(cmd)
				if err != nil {
					return exitCode(exitCannotRun, err)
				}
				opts.PublicKey, source = pub, "signing key "+path
			}
			for _, f := range checkpoints {
				cps, err := audit.ReadCheckpointFile(f)
				if err != nil {
					return exitCode(exitCannotRun, fmt.Errorf("--checkpoint: %w", err))
				}
				opts.Checkpoints = append(opts.Checkpoints, cps...)
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			res, err := audit.VerifyWith(cmd.Context(), st, opts)
			var ce *audit.ChainError
			if errors.As(err, &ce) {
				fmt.Fprintf(cmd.OutOrStdout(), "FAILED at record %d: %s: %s\n", ce.Seq, ce.Problem, ce.Detail)
				return exitCode(exitChainBroken, nil)
			}
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "verified %d records, head %s\n", res.Records, res.Head)
			switch {
			case res.Signatures > 0 && opts.PublicKey != nil:
				fmt.Fprintf(out, "signatures: %d verified, through record %d, by key %s (%s)\n", res.Signatures, res.SignedThrough, res.SigningKey, source)
			case res.Signatures > 0:
				fmt.Fprintf(out, "signatures: %d verified, through record %d, by key %s: compare it with the app's published key (foureyes audit pubkey), or pass --pubkey\n", res.Signatures, res.SignedThrough, res.SigningKey)
			case res.Records > 0:
				fmt.Fprintln(out, "WARNING: the log carries no signatures: its integrity rests on the SHA-256 chain alone")
			}
			if len(opts.Checkpoints) > 0 {
				fmt.Fprintf(out, "checkpoints: %d, each still in the chain\n", res.Checkpoints)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&head, "head", "", "a head hash recorded earlier; the chain must still contain it")
	cmd.Flags().StringVar(&pubkey, "pubkey", "", "the app's public key (PEM or base64, as foureyes audit pubkey prints it)")
	cmd.Flags().StringArrayVar(&checkpoints, "checkpoint", nil, "a file of signed checkpoints (checkpoint file or JSON server log); repeatable")
	return cmd
}

// isHash says whether s is a record hash as the chain writes it.
func isHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func newAuditExportCmd() *cobra.Command {
	var (
		format, since, until, repo, out string
		actor, outcome                  string
		kinds                           []string
		force                           bool
	)
	cmd := &cobra.Command{
		Use:   "export --format csv|jsonl [--since T] [--until T] [--repo o/r] [--kind K] [--out FILE]",
		Short: "Stream audit records with a manifest (query, extraction time, row count, SHA-256)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q := audit.ExportQuery{Format: format, Repo: repo, Actor: actor, Outcome: outcome}
			var err error
			if q.Since, err = parseTime(since); err != nil {
				return exitCode(exitCannotRun, fmt.Errorf("--since: %w", err))
			}
			if q.Until, err = parseTime(until); err != nil {
				return exitCode(exitCannotRun, fmt.Errorf("--until: %w", err))
			}
			for _, k := range kinds {
				if !store.IsKnownKind(store.Kind(k)) {
					return exitCode(exitCannotRun, fmt.Errorf("--kind %q is not a record kind; valid kinds: %s", k, kindList()))
				}
				q.Kinds = append(q.Kinds, store.Kind(k))
			}
			if out != "" {
				if err := refuseOverwrite(force, out, out+".manifest.json"); err != nil {
					return err
				}
			}
			if format != "csv" && format != "jsonl" {
				return exitCode(exitCannotRun, fmt.Errorf("--format must be csv or jsonl, not %q", format))
			}
			st, name, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			appKey, _, err := configuredPublicKey(cmd)
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			return runExport(cmd.Context(), st, name, q, out, cmd.OutOrStdout(), appKey)
		},
	}
	cmd.Flags().StringVar(&format, "format", "csv", "csv or jsonl")
	cmd.Flags().StringVar(&since, "since", "", "first recorded_at included (RFC 3339 or YYYY-MM-DD, UTC)")
	cmd.Flags().StringVar(&until, "until", "", "recorded_at before which records are included (RFC 3339 or YYYY-MM-DD)")
	cmd.Flags().StringVar(&repo, "repo", "", "only this owner/name")
	cmd.Flags().StringVar(&actor, "actor", "", "only records of this GitHub login (as the console's changes page)")
	cmd.Flags().StringVar(&outcome, "outcome", "", "only records with this outcome, e.g. pass, violation, rejected")
	cmd.Flags().StringSliceVar(&kinds, "kind", nil, "only these kinds, repeatable or comma-separated: "+kindList())
	cmd.Flags().StringVar(&out, "out", "", "write to FILE and the manifest to FILE.manifest.json (refuses to overwrite)")
	cmd.Flags().BoolVar(&force, "force", false, "with --out, overwrite existing files")
	return cmd
}

// runExport writes to stdout with a trailer, or to a file with a sidecar manifest (the
// file is only complete when the manifest exists: it is written last).
func runExport(ctx context.Context, st chainStore, name string, q audit.ExportQuery, out string, stdout io.Writer, appKey ed25519.PublicKey) error {
	pk := func(k ed25519.PublicKey) audit.PublishedKey { p, _ := audit.PublishKey(ctx, st, k); return p }
	if out == "" {
		m, err := audit.Export(ctx, st, stdout, q, name)
		if err != nil {
			return exitCode(exitCannotRun, err)
		}
		if appKey != nil {
			m.SetKey(pk(appKey))
		}
		return audit.WriteTrailer(stdout, m)
	}
	f, err := os.Create(out)
	if err != nil {
		return exitCode(exitCannotRun, err)
	}
	m, err := audit.Export(ctx, st, f, q, name)
	if err == nil && appKey != nil {
		m.SetKey(pk(appKey))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return exitCode(exitCannotRun, fmt.Errorf("export to %s: %w", out, err))
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return exitCode(exitCannotRun, err)
	}
	if err := os.WriteFile(out+".manifest.json", append(b, '\n'), 0o644); err != nil {
		return exitCode(exitCannotRun, err)
	}
	return nil
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not RFC 3339 or YYYY-MM-DD", s)
}

func newAuditTraceCmd() *cobra.Command {
	var (
		repo, sha string
		pr        int
	)
	cmd := &cobra.Command{
		Use:   "trace --repo o/r (--pr N | --sha S)",
		Short: "Show the evidence chain of one change: pushes, decisions, merge, deployments",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if repo == "" || (pr == 0) == (sha == "") {
				return exitCode(exitCannotRun, errors.New("trace needs --repo and exactly one of --pr or --sha"))
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if sha != "" {
				if sha, err = resolveSHA(cmd.Context(), st, repo, sha); err != nil {
					return exitCode(exitCannotRun, err)
				}
			}
			recs, err := audit.Trace(cmd.Context(), st, audit.TraceQuery{Repo: repo, PR: pr, SHA: sha})
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			if len(recs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no audit records for this change")
				return nil
			}
			return audit.WriteTrace(cmd.OutOrStdout(), recs)
		},
	}
	cmd.Flags().StringVar(&repo, "repo", "", "owner/name")
	cmd.Flags().IntVar(&pr, "pr", 0, "pull request number")
	cmd.Flags().StringVar(&sha, "sha", "", "commit SHA, full or abbreviated to 7 or more hex digits")
	return cmd
}

// kindList names the valid --kind values.
func kindList() string {
	var names []string
	for _, k := range store.KnownKinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// resolveSHA expands an abbreviated SHA (7 to 39 hex digits, as foureyes itself shows
// them) to the one full SHA the records of repo name; an ambiguous or too short prefix
// is a usage error.
func resolveSHA(ctx context.Context, st chainStore, repo, sha string) (string, error) {
	sha = strings.ToLower(sha)
	for _, c := range sha {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", fmt.Errorf("--sha %q is not a hexadecimal commit SHA", sha)
		}
	}
	switch {
	case len(sha) == 40 || len(sha) == 64:
		return sha, nil
	case len(sha) < 7:
		return "", fmt.Errorf("--sha %q is too short: give at least 7 hex digits", sha)
	}
	found := map[string]bool{}
	err := st.Query(ctx, store.Filter{Repo: repo}, func(r store.Record) error {
		if strings.HasPrefix(r.SHA, sha) {
			found[r.SHA] = true
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	switch len(found) {
	case 0:
		return sha, nil // nothing recorded: Trace says so
	case 1:
		for full := range found {
			return full, nil
		}
	}
	var all []string
	for full := range found {
		all = append(all, full)
	}
	sort.Strings(all)
	return "", fmt.Errorf("--sha %s is ambiguous in %s: %s", sha, repo, strings.Join(all, ", "))
}
