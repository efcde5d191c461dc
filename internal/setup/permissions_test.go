package setup

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue #18 point 12: the credentials file was loaded whatever its permissions. Like ssh
// with a private key, foureyes now refuses one its group or others can read.
func TestCredentialsFileReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "foureyes-credentials.yml")
	c := Credentials{AppID: 7, Slug: "foureyes", WebhookSecret: "s3cret", PrivateKey: testPEM}
	if err := saveCredentials(path, c); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCredentials(path); err != nil {
		t.Fatalf("mode 0600 refused: %v", err)
	}
	modes := []os.FileMode{0o644, 0o604, 0o620}
	if os.Geteuid() != 0 {
		modes = append(modes, 0o640) // root-owned 0640 is the one exception (a Kubernetes Secret)
	}
	for _, mode := range modes {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := LoadCredentials(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("mode %04o: %v; want a refusal with the fix and no secret", mode, err)
		}
	}
}

// Issue #17 point 1: a secret file inside a git work tree that does not ignore it is
// reported; an ignored one, or one outside any work tree, is not.
func TestCommittableSecretFile(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v %s", err, out)
	}
	secret := filepath.Join(dir, "foureyes-credentials.yml")
	if err := os.WriteFile(secret, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, top := Committable(secret); !ok || top == "" {
		t.Fatalf("an unignored file in a work tree: committable=%v", ok)
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("/foureyes-credentials.yml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ok, _ := Committable(secret); ok {
		t.Fatal("an ignored file reported committable")
	}
	outside := filepath.Join(t.TempDir(), "foureyes-credentials.yml")
	if ok, _ := Committable(outside); ok {
		t.Fatal("a file outside any work tree reported committable")
	}
}

// The repository's own .gitignore ignores what the setup page and the first start write
// in the working directory.
func TestRepositoryIgnoresSetupSecrets(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git work tree")
	}
	for _, f := range []string{"foureyes-credentials.yml", "foureyes-signing-key.pem"} {
		p := filepath.Join(strings.TrimSpace(string(root)), f)
		if err := exec.Command("git", "check-ignore", "-q", "--no-index", p).Run(); err != nil {
			t.Errorf("%s is not ignored by the repository's .gitignore", f)
		}
	}
}
