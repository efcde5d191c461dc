package server

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/foureyes/foureyes/internal/config"
	"github.com/foureyes/foureyes/internal/setup"
)

// loadCredentialsFile fills the app credentials from the file the setup page wrote, when
// the configuration does not already name an app.
func loadCredentialsFile(cfg *config.Config) error {
	if cfg.HasCredentials() || cfg.GitHub.CredentialsFile == "" {
		return nil
	}
	if _, err := os.Stat(cfg.GitHub.CredentialsFile); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	c, err := setup.LoadCredentials(cfg.GitHub.CredentialsFile)
	if err != nil {
		return fmt.Errorf("credentials file %s: %w", cfg.GitHub.CredentialsFile, err)
	}
	cfg.GitHub.App.IntegrationID = c.AppID
	cfg.GitHub.App.WebhookSecret = c.WebhookSecret
	cfg.GitHub.App.PrivateKey = c.PrivateKey
	if cfg.GitHub.App.ClientID == "" {
		cfg.GitHub.App.ClientID, cfg.GitHub.App.ClientSecret = c.ClientID, c.ClientSecret
	}
	return nil
}

// checkCredentials refuses what would make the server unsafe or useless: an empty webhook
// secret (go-githubapp would then accept unsigned webhooks) or a private key that cannot
// be read. private_key may hold the PEM itself or the path of a PEM file.
func checkCredentials(cfg *config.Config) error {
	app := &cfg.GitHub.App
	if strings.TrimSpace(app.WebhookSecret) == "" {
		return errors.New("github.app.webhook_secret is empty: refusing to accept unsigned webhooks")
	}
	key := app.PrivateKey
	if !strings.Contains(key, "-----BEGIN") {
		if key == "" {
			return errors.New("github.app.private_key is empty")
		}
		data, err := os.ReadFile(key)
		if err != nil {
			// Not the error itself: it would quote the value, which may be key material.
			return errors.New("github.app.private_key: cannot read key file (the value is neither a PEM key nor a readable path)")
		}
		key = string(data)
	}
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return errors.New("github.app.private_key is not a PEM private key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		k, err8 := x509.ParsePKCS8PrivateKey(block.Bytes)
		if _, isRSA := k.(*rsa.PrivateKey); err8 != nil || !isRSA {
			return errors.New("github.app.private_key is not a readable RSA private key (GitHub App keys are RSA)")
		}
	}
	app.PrivateKey = key
	return nil
}
