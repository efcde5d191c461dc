package main

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/signing"
)

func newAuditPubkeyCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pubkey [--config FILE]",
		Short: "Print the public key that verifies the audit log's signatures (PEM)",
		Long: "Print the public half of the app's audit signing key (audit.signing_key) as PEM, and its\n" +
			"fingerprint on stderr. Publish it where auditors find it; `audit verify --pubkey FILE` then\n" +
			"proves every record was signed by this app.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			pub, path, err := configuredPublicKey(cmd)
			if err != nil {
				return exitCode(exitCannotRun, err)
			}
			if pub == nil {
				return exitCode(exitCannotRun, fmt.Errorf("no signing key at %s: `foureyes serve` creates it at first start (give the server's --config)", path))
			}
			fmt.Fprint(cmd.OutOrStdout(), signing.PublicKeyPEM(pub))
			fmt.Fprintf(cmd.ErrOrStderr(), "fingerprint %s (%s)\n", signing.Fingerprint(pub), path)
			return nil
		},
	}
}

// configuredPublicKey reads the public half of the signing key the server configuration
// names (--config, else the environment and defaults); nil when that file does not exist.
func configuredPublicKey(cmd *cobra.Command) (ed25519.PublicKey, string, error) {
	file, _ := cmd.Flags().GetString("config")
	cfg, err := config.Load(file, os.Environ())
	if err != nil {
		return nil, "", err
	}
	path := cfg.Audit.SigningKey
	if path == "" {
		path = signing.DefaultPath(cfg.GitHub.CredentialsFile)
	}
	priv, err := signing.Load(path)
	if errors.Is(err, signing.ErrNoKey) {
		return nil, path, nil
	}
	if err != nil {
		return nil, path, err
	}
	return priv.Public().(ed25519.PublicKey), path, nil
}
