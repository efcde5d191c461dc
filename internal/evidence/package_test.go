package evidence

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

// changeStore is a SQLite store holding one PR's life (push, decisions, merge, deployment)
// among records of other changes.
func changeStore(t *testing.T) interface {
	store.Store
	store.ChainReader
} {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenChain(ctx, filepath.Join(t.TempDir(), "foureyes.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if signed, ok := st.(interface{ SetSigningKey(ed25519.PrivateKey) }); ok {
		_, priv, _ := ed25519.GenerateKey(nil)
		signed.SetSigningKey(priv)
	} else {
		t.Fatal("the store cannot sign")
	}
	facts, _ := json.Marshal(policy.Facts{Repository: "acme/pay", PullRequest: policy.PullRequest{Number: 7, Title: `<script>alert("x")</script>`, Author: "alice", Base: policy.GitRef{Ref: "main"}},
		Commits: []policy.Commit{{SHA: "h1", Author: "alice"}}, Reviews: []policy.Review{{User: "bob", State: "APPROVED", CommitID: "h1", SubmittedAt: "2026-10-01T10:00:00Z"}},
		Checks: []policy.Check{{Name: "build", Source: "check_run", App: "github-actions", Conclusion: "success"}}})
	pass := policy.Decision{Outcome: policy.OutcomePass, Title: "1 rule passes", Rules: []policy.RuleResult{{Name: "review", Status: policy.StatusPass,
		Requirements: []policy.RequirementResult{{Kind: "approvals", Status: policy.StatusPass, Evidence: []policy.Evidence{{Kind: "approval", Subject: "bob", SHA: "h1", Text: "bob approved"}}}}}}}
	for _, r := range []store.Record{
		{Kind: store.KindPush, Repository: "other/x", SHA: "o1", Actor: "eve"},
		{Kind: store.KindPush, Repository: "acme/pay", PR: 7, SHA: "h1", Actor: "alice", Facts: json.RawMessage(`{"ref":"f"}`)},
		{Kind: store.KindPRDecision, Repository: "acme/pay", PR: 7, SHA: "h1", Actor: "alice", Outcome: "pending", Facts: facts, Decision: json.RawMessage(`{"outcome":"pending","title":"waiting","rules":[]}`)},
		{Kind: store.KindPush, Repository: "other/x", SHA: "o2", Actor: "eve"},
		{Kind: store.KindPRDecision, Repository: "acme/pay", PR: 7, SHA: "h1", Actor: "alice", Outcome: "pass", Facts: facts, Decision: pass.JSON()},
		{Kind: store.KindMerge, Repository: "acme/pay", PR: 7, SHA: "m1", Actor: "bob", Outcome: "pass", Facts: json.RawMessage(`{"head_sha":"h1","base_ref":"main","decision":{"seq":5,"sha":"h1","base_ref":"main","outcome":"pass"}}`)},
		{Kind: store.KindDeploymentDecision, Repository: "acme/pay", SHA: "m1", Subject: "run:5/env:production", Actor: "carol", Outcome: "approved", Decision: json.RawMessage(`{"outcome":"approved","title":"deploy ok","rules":[]}`)},
		{Kind: store.KindPush, Repository: "other/x", SHA: "o3", Actor: "eve"},
	} {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func writeTestPackage(t *testing.T, src store.ChainReader, q ChangeQuery) []byte {
	t.Helper()
	var buf bytes.Buffer
	now := func() time.Time { return time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC) }
	if err := WritePackage(context.Background(), &buf, src, q, PackageOptions{Now: now}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verifyBytes(t *testing.T, b []byte, head string) VerifyResult {
	t.Helper()
	res, err := VerifyPackage(bytes.NewReader(b), int64(len(b)), head)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}

func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	files, err := readZip(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// rezip writes files back into a package; with fixManifest the manifest's checksums are
// recomputed, as a forger would.
func rezip(t *testing.T, files map[string][]byte, fixManifest bool) []byte {
	t.Helper()
	if fixManifest {
		var m PackageManifest
		if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
			t.Fatal(err)
		}
		m.Files = nil
		for _, name := range sortedKeys(files) {
			if name == "manifest.json" {
				continue
			}
			s := sha256.Sum256(files[name])
			m.Files = append(m.Files, FileEntry{Name: name, SHA256: hex.EncodeToString(s[:]), Size: int64(len(files[name]))})
		}
		files["manifest.json"], _ = json.Marshal(m)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range sortedKeys(files) {
		f, _ := zw.Create(name)
		_, _ = f.Write(files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackageVerifiesOffline(t *testing.T) {
	st := changeStore(t)
	b := writeTestPackage(t, st, ChangeQuery{Repo: "acme/pay", PR: 7})
	_, headHash, _ := st.Head(context.Background())
	res := verifyBytes(t, b, headHash)
	if !res.OK() {
		t.Fatalf("a fresh package does not verify: %v", res.Problems)
	}
	if res.Signatures == 0 || res.SigningKey == "" || res.Manifest.PublicKey == "" {
		t.Errorf("signatures not checked: %d by %q, manifest key %q", res.Signatures, res.SigningKey, res.Manifest.PublicKey)
	}
	if res.ChangeRecords != 5 || res.Records != 7 {
		t.Errorf("checked %d records, %d of the change; want 7 and 5 (push, 2 decisions, merge, deployment)", res.Records, res.ChangeRecords)
	}
	files := unzip(t, b)
	for _, name := range []string{"manifest.json", "records.jsonl", "summary.html", "records/5-pr_decision.checkrun.md", "records/5-pr_decision.facts.json", "records/7-deployment_decision.decision.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("package has no %s", name)
		}
	}
	html := string(files["summary.html"])
	if strings.Contains(html, "<script>alert") || !strings.Contains(html, "&lt;script&gt;") {
		t.Error("summary.html does not escape the PR title")
	}
	for _, want := range []string{"alice", "bob", "carol", "run:5/env:production", "approved", "m1", "@page"} {
		if !strings.Contains(html, want) {
			t.Errorf("summary.html does not show %q", want)
		}
	}
}

func TestPackageTamperingIsDetected(t *testing.T) {
	st := changeStore(t)
	b := writeTestPackage(t, st, ChangeQuery{Repo: "acme/pay", PR: 7})
	for _, tc := range []struct {
		name        string
		tamper      func(files map[string][]byte)
		fixManifest bool
		head        string
		want        string
	}{
		{name: "changed file", tamper: func(f map[string][]byte) {
			f["summary.html"] = bytes.Replace(f["summary.html"], []byte("carol"), []byte("alice"), 1)
		}, want: "file summary.html: content changed"},
		{name: "changed facts, manifest fixed", fixManifest: true, tamper: func(f map[string][]byte) {
			f["records/5-pr_decision.facts.json"] = bytes.Replace(f["records/5-pr_decision.facts.json"], []byte("bob"), []byte("eve"), 1)
		}, want: "does not match the facts digest of record 5"},
		{name: "changed record, manifest fixed", fixManifest: true, tamper: func(f map[string][]byte) {
			f["records.jsonl"] = bytes.Replace(f["records.jsonl"], []byte(`"actor":"carol"`), []byte(`"actor":"bob"`), 1)
		}, want: "record 7: content changed"},
		{name: "removed record, manifest fixed", fixManifest: true, tamper: func(f map[string][]byte) {
			lines := bytes.SplitAfter(f["records.jsonl"], []byte("\n"))
			f["records.jsonl"] = bytes.Join(append(lines[:3:3], lines[4:]...), nil)
		}, want: "record 5: record missing"},
		{name: "removed file", tamper: func(f map[string][]byte) { delete(f, "records/7-deployment_decision.decision.json") },
			want: "listed in the manifest but missing"},
		{name: "signatures removed, manifest fixed", fixManifest: true, tamper: func(f map[string][]byte) { delete(f, "signatures.jsonl") },
			want: "signatures.jsonl: missing"},
		{name: "record appended by a forger", fixManifest: true, tamper: func(f map[string][]byte) {
			// A correct SHA-256 link after the head, but no signature of the app's key.
			lines := bytes.Split(bytes.TrimSpace(f["records.jsonl"]), []byte("\n"))
			var last Row
			_ = json.Unmarshal(lines[len(lines)-1], &last)
			forged := Row{Seq: last.Seq + 1, ID: "x", RecordedAt: last.RecordedAt, Kind: "merge", Repository: "acme/pay", PR: 8, PrevHash: last.Hash}
			rec, _ := forged.record()
			forged.Hash = store.ComputeHash(rec, "", "")
			b, _ := json.Marshal(forged)
			f["records.jsonl"] = append(f["records.jsonl"], append(b, '\n')...)
			var m PackageManifest
			_ = json.Unmarshal(f["manifest.json"], &m)
			m.HeadSeq, m.HeadHash = forged.Seq, forged.Hash
			f["manifest.json"], _ = json.Marshal(m)
		}, want: "records 9..9: not signed"},
		{name: "wrong head", tamper: func(map[string][]byte) {}, head: strings.Repeat("ab", 32), want: "not in this package"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := unzip(t, b)
			tc.tamper(files)
			res := verifyBytes(t, rezip(t, files, tc.fixManifest), tc.head)
			if res.OK() {
				t.Fatal("tampered package verifies")
			}
			if !strings.Contains(strings.Join(res.Problems, "\n"), tc.want) {
				t.Errorf("problems %q do not say %q", res.Problems, tc.want)
			}
		})
	}
}

func TestPackageOfUnknownChange(t *testing.T) {
	st := changeStore(t)
	err := WritePackage(context.Background(), io.Discard, st, ChangeQuery{Repo: "acme/pay", PR: 99}, PackageOptions{})
	if err != ErrNoRecords {
		t.Errorf("got %v, want ErrNoRecords", err)
	}
}

func FuzzVerifyPackage(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("manifest.json")
	_, _ = w.Write([]byte(`{"format":"foureyes-evidence-v1","first_seq":1,"chain_head_seq":1,"files":[{"name":"records.jsonl"}]}`))
	w, _ = zw.Create("records.jsonl")
	_, _ = w.Write([]byte(`{"seq":1,"recorded_at":"2026-01-02T03:04:05.123456Z"}` + "\n"))
	_ = zw.Close()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := VerifyPackage(bytes.NewReader(b), int64(len(b)), "")
		if err == nil && res.OK() && res.Records == 0 {
			t.Fatal("a package without records verified")
		}
	})
}
