package setup

import (
	"github.com/foureyes/foureyes/internal/signing"

	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Credentials are what GitHub returns once, at the end of the manifest flow. The private key
// and the secrets cannot be fetched again, so they are written to the credentials file before
// anything else happens.
type Credentials struct {
	AppID         int64  `yaml:"app_id"`
	Slug          string `yaml:"slug"`
	WebhookSecret string `yaml:"webhook_secret"`
	PrivateKey    string `yaml:"private_key"`
	ClientID      string `yaml:"client_id,omitempty"`
	ClientSecret  string `yaml:"client_secret,omitempty"`
	HTMLURL       string `yaml:"html_url,omitempty"`
}

// String hides the secrets, so that a Credentials passed to a logger or fmt by mistake does
// not leak the private key.
func (c Credentials) String() string {
	return "setup.Credentials{AppID: " + strconv.FormatInt(c.AppID, 10) + ", Slug: " + strconv.Quote(c.Slug) + ", secrets redacted}"
}

// GoString hides the secrets from %#v too.
func (c Credentials) GoString() string { return c.String() }

// validate checks what the server needs to authenticate as the app and verify webhooks.
func (c Credentials) validate() error {
	switch {
	case c.AppID <= 0:
		return errors.New("app_id is missing")
	case c.WebhookSecret == "":
		return errors.New("webhook_secret is missing")
	case c.PrivateKey == "":
		return errors.New("private_key is missing")
	}
	if b, _ := pem.Decode([]byte(c.PrivateKey)); b == nil {
		return errors.New("private_key is not PEM")
	}
	return nil
}

// LoadCredentials reads a credentials file written by the setup page. A missing file gives an
// error that matches fs.ErrNotExist: the server then starts in setup mode.
func LoadCredentials(path string) (Credentials, error) {
	var c Credentials
	f, err := os.Open(path)
	if err != nil {
		return c, fmt.Errorf("read credentials file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return c, fmt.Errorf("read credentials file: %w", err)
	}
	// Like ssh with a private key: a file others can read no longer holds a secret.
	if err := signing.CheckPrivate(path, fi); err != nil {
		return c, err
	}
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Credentials{}, fmt.Errorf("parse credentials file %s: %w", path, err)
	}
	if err := c.validate(); err != nil {
		return Credentials{}, fmt.Errorf("credentials file %s: %w", path, err)
	}
	return c, nil
}

const credentialsHeader = "# foureyes GitHub App credentials, written by the setup page.\n" +
	"# Secret: the private key and webhook secret cannot be downloaded again. Keep mode 0600.\n"

// saveCredentials writes c to path with mode 0600 and never replaces an existing file: the
// file may hold the only copy of another app's private key. The content goes to a temporary
// file first and is linked into place, so a crash never leaves a half-written file at path.
func saveCredentials(path string, c Credentials) error {
	body, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".credentials-*.tmp")
	if err != nil {
		return fmt.Errorf("create credentials file: %w", err)
	}
	defer os.Remove(tmp.Name())
	// CreateTemp already uses 0600; Chmod makes it explicit and independent of that detail.
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("chmod credentials file: %w", err)
	}
	if _, err := tmp.Write(append([]byte(credentialsHeader), body...)); err != nil {
		tmp.Close()
		return fmt.Errorf("write credentials file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync credentials file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close credentials file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("create credentials file: %w", err)
	}
	return nil
}

// checkWritable fails early, before the user creates an app on GitHub, when the credentials
// could not be saved afterwards: the secrets are shown only once.
func checkWritable(path string) error {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("credentials file %s already exists: foureyes should have loaded it at start; remove it to register a new app", path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("check credentials file %s: %w", path, err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".credentials-check-*.tmp")
	if err != nil {
		return fmt.Errorf("credentials directory %s is not writable: %w", filepath.Dir(path), err)
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}
