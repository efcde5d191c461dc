package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/config"
)

var (
	keysOnce                    sync.Once
	pkcs1PEM, pkcs8PEM, ecPEM   string
	rsaPublicPEM, certLikeBlock string
)

func testKeys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		pkcs1PEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
		der8, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		pkcs8PEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der8}))
		pub, _ := x509.MarshalPKIXPublicKey(&k.PublicKey)
		rsaPublicPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
		ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		derEC, _ := x509.MarshalPKCS8PrivateKey(ek)
		ecPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: derEC}))
		certLikeBlock = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
	})
}

func credCfg(secret, key string) config.Config {
	var c config.Config
	c.GitHub.App.IntegrationID = 1
	c.GitHub.App.WebhookSecret = secret
	c.GitHub.App.PrivateKey = key
	c.GitHub.CredentialsFile = ""
	return c
}

func TestCheckCredentialsUnit(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(keyFile, []byte(pkcs1PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	pkcs8File := filepath.Join(dir, "app8.pem")
	if err := os.WriteFile(pkcs8File, []byte(pkcs8PEM), 0o600); err != nil {
		t.Fatal(err)
	}
	garbageFile := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbageFile, []byte("hello\nworld\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, secret, key string
		wantKey           string // the key after the check ("" when refused)
		wantErr           string
	}{
		{name: "pkcs1 content", secret: "s", key: pkcs1PEM, wantKey: pkcs1PEM},
		{name: "pkcs8 content", secret: "s", key: pkcs8PEM, wantKey: pkcs8PEM},
		{name: "content with surrounding whitespace", secret: "s", key: "\n" + pkcs1PEM + "\n", wantKey: "\n" + pkcs1PEM + "\n"},
		{name: "file path", secret: "s", key: keyFile, wantKey: pkcs1PEM},
		{name: "pkcs8 file path", secret: "s", key: pkcs8File, wantKey: pkcs8PEM},
		{name: "empty secret", secret: "", key: pkcs1PEM, wantErr: "webhook_secret is empty"},
		{name: "blank secret", secret: " \t\n", key: pkcs1PEM, wantErr: "webhook_secret is empty"},
		{name: "empty key", secret: "s", key: "", wantErr: "private_key is empty"},
		{name: "unreadable path", secret: "s", key: filepath.Join(dir, "missing.pem"), wantErr: "cannot read key file"},
		{name: "directory path", secret: "s", key: dir, wantErr: "cannot read key file"},
		{name: "file with garbage", secret: "s", key: garbageFile, wantErr: "not a PEM private key"},
		{name: "garbage pem body", secret: "s", key: certLikeBlock, wantErr: "not a readable RSA private key"},
		{name: "public key", secret: "s", key: rsaPublicPEM, wantErr: "not a readable RSA private key"},
		{name: "BEGIN without PEM", secret: "s", key: "-----BEGIN nothing", wantErr: "not a PEM private key"},
		{name: "escaped newlines", secret: "s", key: strings.ReplaceAll(pkcs1PEM, "\n", `\n`), wantErr: "private_key"},
		{name: "garbage one line", secret: "s", key: "not-a-key", wantErr: "cannot read key file"},
		{name: "multi-line garbage is refused on one line without echoing it", secret: "s",
			key: "MIIEpAIBAAKCAQEA\nsecretmaterial\n", wantErr: "private_key"},
		{name: "ecdsa pkcs8 key", secret: "s", key: ecPEM, wantErr: "RSA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := credCfg(tt.secret, tt.key)
			err := checkCredentials(&cfg)
			var problems []string
			switch {
			case tt.wantErr == "" && err != nil:
				problems = append(problems, "refused: "+err.Error())
			case tt.wantErr == "" && cfg.GitHub.App.PrivateKey != tt.wantKey:
				problems = append(problems, "the key after the check is not the expected PEM")
			case tt.wantErr != "" && err == nil:
				problems = append(problems, "accepted, want an error containing "+strconv.Quote(tt.wantErr))
			case tt.wantErr != "":
				msg := err.Error()
				if !strings.Contains(msg, tt.wantErr) {
					problems = append(problems, fmt.Sprintf("error %q does not contain %q", msg, tt.wantErr))
				}
				if strings.Contains(msg, "\n") {
					problems = append(problems, fmt.Sprintf("reason is not one line: %q", msg))
				}
				if strings.Contains(msg, "PRIVATE KEY-----") || strings.Contains(msg, "secretmaterial") {
					problems = append(problems, fmt.Sprintf("reason echoes key material: %q", msg))
				}
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}
}

func TestLoadCredentialsFileUnit(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yml")
	body := "app_id: 77\nslug: fe\nwebhook_secret: shh\nprivate_key: |\n  " + strings.ReplaceAll(strings.TrimSpace(pkcs1PEM), "\n", "\n  ") + "\n"
	if err := os.WriteFile(good, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("app_id: 77\nwebhook_secret: shh\nprivate_key: nope\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     func() config.Config
		wantID  int64
		wantErr string
	}{
		{name: "no file configured", cfg: func() config.Config { return config.Config{} }},
		{name: "missing file", cfg: func() config.Config {
			var c config.Config
			c.GitHub.CredentialsFile = filepath.Join(dir, "none.yml")
			return c
		}},
		{name: "file fills the app", wantID: 77, cfg: func() config.Config {
			var c config.Config
			c.GitHub.CredentialsFile = good
			return c
		}},
		{name: "configured app wins over the file", wantID: 5, cfg: func() config.Config {
			c := credCfg("x", "y")
			c.GitHub.App.IntegrationID = 5
			c.GitHub.CredentialsFile = good
			return c
		}},
		{name: "invalid file", wantErr: "credentials file " + bad, cfg: func() config.Config {
			var c config.Config
			c.GitHub.CredentialsFile = bad
			return c
		}},
		{name: "directory", wantErr: "credentials file", cfg: func() config.Config {
			var c config.Config
			c.GitHub.CredentialsFile = dir
			return c
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.cfg()
			err := loadCredentialsFile(&c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.GitHub.App.IntegrationID != tt.wantID {
				t.Errorf("app id = %d, want %d", c.GitHub.App.IntegrationID, tt.wantID)
			}
			if tt.wantID == 77 && (c.GitHub.App.WebhookSecret != "shh" || !strings.Contains(c.GitHub.App.PrivateKey, "BEGIN RSA PRIVATE KEY")) {
				t.Errorf("secret/key not filled from the file")
			}
		})
	}
}

func TestCheckNewRefusesBadCredentialsUnit(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	badFile := filepath.Join(dir, "creds.yml")
	if err := os.WriteFile(badFile, []byte("app_id: 3\nwebhook_secret: \"\"\nprivate_key: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		cfg     config.Config
		wantErr string
	}{
		{name: "empty secret", cfg: credCfg("", pkcs1PEM), wantErr: "webhook_secret is empty"},
		{name: "unreadable key path", cfg: credCfg("s", filepath.Join(dir, "nope.pem")), wantErr: "cannot read key file"},
		{name: "garbage key", cfg: credCfg("s", "-----BEGIN junk"), wantErr: "not a PEM private key"},
		{name: "bad credentials file", cfg: func() config.Config {
			var c config.Config
			c.GitHub.CredentialsFile = badFile
			return c
		}(), wantErr: "credentials file"},
		{name: "good pkcs8", cfg: credCfg("s", pkcs8PEM)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Audit.SigningKey = filepath.Join(t.TempDir(), "signing-key.pem")
			s, err := New(tt.cfg, nil, zerolog.Nop())
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				if s.cfg.GitHub.App.PrivateKey != pkcs8PEM {
					t.Errorf("server keeps a different key")
				}
				return
			}
			if err == nil {
				t.Fatalf("New started, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tt.wantErr)
			}
		})
	}
}
