package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/evidence"
)

func newAuditEvidenceCmd() *cobra.Command {
	var (
		q     evidence.ChangeQuery
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "evidence --repo R (--pr N | --sha S) --out FILE.zip",
		Short: "Write the self-contained evidence package of one change (verify it with `audit evidence verify`)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if q.Repo == "" || (q.PR == 0) == (q.SHA == "") || out == "" {
				return exitCode(exitCannotRun, errors.New("evidence needs --repo, exactly one of --pr or --sha, and --out"))
			}
			if err := refuseOverwrite(force, out); err != nil {
				return err
			}
			st, _, err := openAuditStore(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if q.SHA != "" {
				if q.SHA, err = resolveSHA(cmd.Context(), st, q.Repo, q.SHA); err != nil {
					return exitCode(exitCannotRun, err)
				}
			}
			err = writeOutput(cmd.OutOrStdout(), out, force, func(w io.Writer) error {
				return evidence.WritePackage(cmd.Context(), w, st, q, packageOptions(st))
			})
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&q.Repo, "repo", "", "owner/name")
	cmd.Flags().IntVar(&q.PR, "pr", 0, "pull request number")
	cmd.Flags().StringVar(&q.SHA, "sha", "", "commit SHA")
	cmd.Flags().StringVar(&out, "out", "", "the zip file to write")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out when it exists")
	cmd.AddCommand(newAuditEvidenceVerifyCmd())
	return cmd
}

// packageOptions gives a package what the store has beyond records: the policy texts by
// digest, when the store keeps them.
func packageOptions(st chainStore) evidence.PackageOptions {
	var opt evidence.PackageOptions
	if p, ok := any(st).(evidence.PolicyTexts); ok {
		opt.Policies = p
	}
	return opt
}

func newAuditEvidenceVerifyCmd() *cobra.Command {
	var head string
	cmd := &cobra.Command{
		Use:   "verify FILE.zip [--head H]",
		Short: "Check an evidence package offline: files, chain to the head, documents, re-performed decisions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if head != "" && !isHash(head) {
				return exitCode(exitCannotRun, fmt.Errorf("--head %q is not a record hash (64 lower-case hex digits)", head))
			}
			f, err := os.Open(args[0])
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			defer f.Close()
			fi, err := f.Stat()
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			res, err := evidence.VerifyPackage(f, fi.Size(), head)
			if err != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "FAILED: %v\n", err)
				return exitCode(exitChainBroken, nil)
			}
			w := cmd.OutOrStdout()
			notes := func() {
				for _, n := range res.Notes {
					fmt.Fprintf(w, "note: %s\n", n)
				}
			}
			defer notes()
			if !res.OK() {
				for _, p := range res.Problems {
					fmt.Fprintf(w, "FAILED: %s\n", p)
				}
				return exitCode(exitChainBroken, nil)
			}
			fmt.Fprintf(w, "verified %d records (%d of the change), %d decisions re-performed, head %d %s\n",
				res.Records, res.ChangeRecords, res.Reperformed, res.Manifest.HeadSeq, res.Manifest.HeadHash)
			if res.Signatures > 0 {
				fmt.Fprintf(w, "%d signatures by key %s (compare with `foureyes audit pubkey`)\n", res.Signatures, res.SigningKey)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&head, "head", "", "a head hash obtained independently; it must be the package's head or a record in it")
	return cmd
}

// writeSamplePackages writes one evidence package per sampled change into dir.
func writeSamplePackages(cmd *cobra.Command, st chainStore, s evidence.Sample, dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return exitCode(exitCannotRun, err)
	}
	for _, c := range s.Changes {
		q := evidence.ChangeQuery{Repo: c.Repository, PR: c.PR}
		name := strings.ReplaceAll(c.Repository, "/", "_")
		if c.PR != 0 {
			name += "-pr" + strconv.Itoa(c.PR)
		} else {
			q.SHA = c.SHA
			name += "-" + c.SHA
		}
		out := filepath.Join(dir, name+".zip")
		err := writeOutput(nil, out, force, func(w io.Writer) error {
			return evidence.WritePackage(cmd.Context(), w, st, q, packageOptions(st))
		})
		if err != nil {
			return exitCode(exitCannotRun, fmt.Errorf("evidence of %s: %w", name, err))
		}
	}
	return nil
}
