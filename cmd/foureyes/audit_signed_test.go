package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// writeServerConfig writes a server configuration naming db and a signing key in dir.
func writeServerConfig(t *testing.T, dir, db string) (cfgFile, keyFile string) {
	t.Helper()
	keyFile = filepath.Join(dir, "signing-key.pem")
	cfgFile = filepath.Join(dir, "foureyes.yml")
	body := "store:\n  dsn: " + db + "\naudit:\n  signing_key: " + keyFile + "\n"
	if err := os.WriteFile(cfgFile, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgFile, keyFile
}

// `audit pubkey` publishes the key; `audit verify --pubkey` proves every record is the
// app's, reports a forged record as tampering, and checks checkpoints; export manifests
// carry the key and never a DSN password.
func TestAuditPubkeyVerifyForgedRecord(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "foureyes.db")
	cfgFile, keyFile := writeServerConfig(t, dir, db)
	priv, _, err := signing.LoadOrCreate(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st.(store.KeyHolder).SetSigningKey(priv)
	for i := 0; i < 3; i++ {
		if _, err := st.Append(context.Background(), store.Record{Kind: store.KindPRDecision, Repository: "o/r", PR: 3, Outcome: "failure"}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	pem, code := runAuditCLI(t, "audit", "pubkey", "--config", cfgFile)
	if code != 0 || !strings.Contains(pem, "-----BEGIN PUBLIC KEY-----") || strings.Contains(pem, "PRIVATE") {
		t.Fatalf("audit pubkey: exit %d\n%s", code, pem)
	}
	pubFile := filepath.Join(dir, "key.pub")
	if err := os.WriteFile(pubFile, []byte(pem[:strings.Index(pem, "-----END PUBLIC KEY-----")+len("-----END PUBLIC KEY-----")]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code := runAuditCLI(t, "audit", "verify", "--store", db, "--pubkey", pubFile)
	if code != 0 || !strings.Contains(out, "signatures: 3 verified, through record 3") {
		t.Fatalf("verify: exit %d\n%s", code, out)
	}
	out, code = runAuditCLI(t, "audit", "export", "--config", cfgFile, "--format", "jsonl", "--out", filepath.Join(dir, "x.jsonl"))
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	var m struct {
		PublicKey string `json:"public_key"`
		Source    string `json:"public_key_source"`
	}
	raw, _ := os.ReadFile(filepath.Join(dir, "x.jsonl.manifest.json"))
	if err := json.Unmarshal(raw, &m); err != nil || !strings.Contains(m.PublicKey, "BEGIN PUBLIC KEY") || m.Source == "" {
		t.Fatalf("manifest lacks the public key: %s", raw)
	}

	b := storetest.Backend{Name: "sqlite", DSN: db}
	forged := b.ForgeAppend(t, store.Record{Kind: store.KindMerge, Repository: "o/r", PR: 3, SHA: "m1", Outcome: "pass"})
	for _, args := range [][]string{
		{"audit", "verify", "--store", db, "--pubkey", pubFile},
		{"audit", "verify", "--config", cfgFile},
		{"audit", "verify", "--store", db},
	} {
		out, code = runAuditCLI(t, args...)
		if code != exitChainBroken || !strings.Contains(out, "FAILED at record 4: not signed") {
			t.Fatalf("%v with forged record %d: exit %d\n%s", args, forged.Seq, code, out)
		}
	}
}

func TestRedactDSNInManifests(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:secret@h/db?sslmode=disable":          "postgres://u:redacted@h/db?sslmode=disable",
		"postgres://u@h/db?password=secret&sslmode=disable": "postgres://u@h/db?password=redacted&sslmode=disable",
		"postgresql://h/db?sslpassword=secret":              "postgresql://h/db?sslpassword=redacted",
		"host=h user=u password=secret dbname=d":            "host=h user=u password=redacted dbname=d",
		"./foureyes.db":                                     "./foureyes.db",
	} {
		if got := store.RedactDSN(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("RedactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}

// Issue #18 point 12: an export manifest kept ?password= from the DSN.
func TestExportManifestRedactsDSNPassword(t *testing.T) {
	b := storetest.New(t, "postgres")
	st, err := store.Open(context.Background(), b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	dsn := b.DSN + "&password=hunter2"
	out, code := runAuditCLI(t, "audit", "export", "--store", dsn, "--format", "jsonl")
	if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, "password=redacted") {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
}
