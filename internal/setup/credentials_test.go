package setup

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----\n"

func TestCredentialsRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds.yml")
	c := Credentials{AppID: 7, Slug: "foureyes", WebhookSecret: "s3cret", PrivateKey: testPEM, ClientID: "Iv1.x", ClientSecret: "cs", HTMLURL: "https://github.com/apps/foureyes"}
	if err := saveCredentials(path, c); err != nil {
		t.Fatal(err)
	}
	got, err := LoadCredentials(path)
	if err != nil || got != c {
		t.Fatalf("LoadCredentials = %v, %v", got, err)
	}
	raw, _ := os.ReadFile(path)
	for _, key := range []string{"app_id: 7", "slug: foureyes", "webhook_secret: s3cret", "private_key: |", "client_id: Iv1.x", "client_secret: cs", "html_url: https://github.com/apps/foureyes"} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("file lacks %q:\n%s", key, raw)
		}
	}
	if err := saveCredentials(path, c); err == nil {
		t.Error("saveCredentials replaced an existing file")
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".credentials-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestLoadCredentialsErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadCredentials(filepath.Join(dir, "missing.yml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	tests := map[string]string{
		"no app id":      "slug: x\nwebhook_secret: s\nprivate_key: k\n",
		"no secret":      "app_id: 1\nprivate_key: k\n",
		"key is not PEM": "app_id: 1\nwebhook_secret: s\nprivate_key: not a key\n",
		"unknown key":    "app_id: 1\nwebhook_secret: s\nprivate_key: k\nextra: 1\n",
		"not YAML":       "app_id: [\n",
	}
	for name, content := range tests {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".yml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadCredentials(p); err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "s\n") {
			t.Errorf("%s: error quotes the file: %v", name, err)
		}
	}
}

func TestCredentialsStringHidesSecrets(t *testing.T) {
	c := Credentials{AppID: 7, Slug: "foureyes", WebhookSecret: "s3cret", PrivateKey: testPEM, ClientSecret: "cs3cret"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(verb, c)
		if strings.Contains(out, "s3cret") || strings.Contains(out, "PRIVATE") {
			t.Errorf("%s prints a secret: %s", verb, out)
		}
	}
}
