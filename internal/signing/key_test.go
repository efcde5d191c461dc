package signing

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateKeepsOneKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", DefaultFileName)
	a, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("first start: created=%v err=%v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	b, created, err := LoadOrCreate(path)
	if err != nil || created || !a.Equal(b) {
		t.Fatalf("second start: created=%v err=%v same=%v", created, err, a.Equal(b))
	}
}

func TestSigningKeyReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), DefaultFileName)
	if _, _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	modes := []os.FileMode{0o644, 0o604, 0o660}
	if os.Getuid() != 0 {
		modes = append(modes, 0o640) // a root-owned 0640 key is accepted (see CheckPrivate)
	}
	for _, mode := range modes {
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") || strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("mode %04o: %v, want a refusal naming chmod 600 and no key material", mode, err)
		}
	}
}

func TestPublicKeyRoundTrip(t *testing.T) {
	priv, _, err := LoadOrCreate(filepath.Join(t.TempDir(), "k.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	for _, text := range []string{PublicKeyPEM(pub), PublicKeyText(pub)} {
		got, err := ParsePublicKey([]byte(text))
		if err != nil || !got.Equal(pub) {
			t.Fatalf("parse %q: %v", text, err)
		}
	}
	if !strings.HasPrefix(Fingerprint(pub), "SHA256:") {
		t.Fatal(Fingerprint(pub))
	}
	msg := RecordMessage(7, strings.Repeat("a", 64))
	sig := Sign(priv, msg)
	if Verify(pub, msg, sig) != nil {
		t.Fatal("own signature does not verify")
	}
	if Verify(pub, CheckpointMessage(7, strings.Repeat("a", 64), "t"), sig) == nil {
		t.Fatal("a record signature verified as a checkpoint's")
	}
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParsePublicKey(b); err == nil && len(k) != ed25519.PublicKeySize {
			t.Fatalf("accepted a %d-byte key", len(k))
		}
	})
}

// A root-owned key readable by its group (a Kubernetes Secret mounted for the pod's
// fsGroup: 0440) is accepted, as PostgreSQL accepts its server key; anything readable by
// others, or writable by the group, is not.
func TestCheckPrivateRootOwnedGroupReadable(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs files owned by root")
	}
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o400, true}, {0o440, true}, {0o640, true}, {0o444, false}, {0o460, false}, {0o604, false}} {
		p := filepath.Join(t.TempDir(), "k.pem")
		if err := os.WriteFile(p, []byte("x"), tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, tc.mode); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckPrivate(p, fi); (err == nil) != tc.ok {
			t.Errorf("mode %04o: err = %v, want ok=%v", tc.mode, err, tc.ok)
		}
	}
}
