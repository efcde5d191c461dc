package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultFileName is the key file's name when audit.signing_key is not set: it lives in
// the directory of the GitHub credentials file, with the other secrets of the app.
const DefaultFileName = "foureyes-signing-key.pem"

// DefaultPath is where the key is kept when audit.signing_key is empty.
func DefaultPath(credentialsFile string) string {
	dir := "."
	if credentialsFile != "" {
		dir = filepath.Dir(credentialsFile)
	}
	return filepath.Join(dir, DefaultFileName)
}

// ErrNoKey is returned by Load when the key file does not exist.
var ErrNoKey = errors.New("no signing key")

// Load reads the PKCS#8 PEM Ed25519 private key at path. Like ssh, it refuses a file that
// its group or others may read: a key others can read signs nothing only the app could.
// Errors never quote the file's content.
func Load(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if err := CheckPrivate(path, fi); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return parsePrivate(path, data)
}

// CheckPrivate refuses a secret file that its group or others can read or write, with the
// command that fixes it (the same rule ssh applies to private keys). One exception, the
// rule PostgreSQL applies to its server key: a file owned by root may also be readable by
// its group (at most 0640), which is how Kubernetes mounts a Secret for a pod's fsGroup.
func CheckPrivate(path string, fi fs.FileInfo) error {
	perm := fi.Mode().Perm()
	if perm&0o037 == 0 && ownedByRoot(fi) {
		return nil
	}
	if perm&0o077 != 0 {
		return fmt.Errorf("%s is accessible by others (mode %04o): it holds a secret, so foureyes refuses to use it; run: chmod 600 %s", path, perm, path)
	}
	return nil
}

func parsePrivate(path string, data []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PEM \"PRIVATE KEY\" block", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: not a readable PKCS#8 key", path)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("signing key %s: not an Ed25519 key", path)
	}
	return priv, nil
}

// LoadOrCreate loads the key at path, creating it (mode 0600, directory 0700 when new)
// when it does not exist yet. created says it was made now. Two processes starting at once
// end up with the same key: the file appears atomically and the loser reads the winner's.
func LoadOrCreate(path string) (priv ed25519.PrivateKey, created bool, err error) {
	priv, err = Load(path)
	if !errors.Is(err, ErrNoKey) {
		return priv, false, err
	}
	_, priv, err = ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("signing key directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".signing-key-*")
	if err != nil {
		return nil, false, fmt.Errorf("create signing key %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		err = pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
		if err == nil {
			err = tmp.Sync()
		}
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, false, fmt.Errorf("write signing key %s: %w", path, err)
	}
	// Link fails when path exists: a concurrent start won, and its key is the key.
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			priv, err = Load(path)
			return priv, false, err
		}
		return nil, false, fmt.Errorf("write signing key %s: %w", path, err)
	}
	return priv, true, nil
}

// PublicKeyPEM is the public key as a PEM "PUBLIC KEY" block (PKIX, as openssl writes it).
func PublicKeyPEM(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "" // only for a key of the wrong length, which no caller has
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// PublicKeyText is the raw 32-byte public key in standard base64: the form stored beside
// each signature and written in checkpoints.
func PublicKeyText(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// Fingerprint names a public key the way ssh does: "SHA256:" and the unpadded base64 of
// the SHA-256 of the raw key.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// ParsePublicKey reads a public key as PublicKeyPEM or PublicKeyText write it.
func ParsePublicKey(data []byte) (ed25519.PublicKey, error) {
	s := strings.TrimSpace(string(data))
	if block, _ := pem.Decode([]byte(s)); block != nil {
		if block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("public key: PEM block is %q, want \"PUBLIC KEY\"", block.Type)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, errors.New("public key: not an Ed25519 key")
		}
		return pub, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return nil, errors.New("public key: neither a PEM \"PUBLIC KEY\" block nor the base64 of 32 bytes")
	}
	return ed25519.PublicKey(raw), nil
}
