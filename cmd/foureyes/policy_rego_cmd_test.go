package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/policy"
)

func TestPolicyTestCommand(t *testing.T) {
	code, out, errOut := runCLI(t, "policy", "test", td+"rego")
	if code != 0 || !strings.Contains(out, "PASS: 9 passed, 0 failed (4 Rego tests, 5 cases)") {
		t.Fatalf("code %d\n%s%s", code, out, errOut)
	}

	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	abs, _ := filepath.Abs(td + "rego")
	write("wrong_test.yml", "cases:\n  - name: expects a pass\n    policy: "+abs+"/migrations/foureyes.yml\n    facts: "+abs+"/migrations/facts.json\n    outcome: pass\n")
	write("m_test.rego", "package m_test\nimport rego.v1\ntest_false if { 1 == 2 }\ntest_true if { 1 == 1 }\n")
	code, out, _ = runCLI(t, "policy", "test", dir)
	if code != exitFail || !strings.Contains(out, "FAIL case expects a pass ("+filepath.Join(dir, "wrong_test.yml")+":2): outcome fail, want pass") ||
		!strings.Contains(out, "FAIL rego data.m_test.test_false") || !strings.Contains(out, "FAIL: 1 passed, 2 failed (2 Rego tests, 1 cases)") {
		t.Fatalf("code %d\n%s", code, out)
	}

	// A forbidden built-in in a test module is a compile error at its line: exit 2.
	write("m_test.rego", "package m_test\nimport rego.v1\ntest_now if { time.now_ns() > 0 }\n")
	code, _, errOut = runCLI(t, "policy", "test", dir)
	if code != exitUsage || !strings.Contains(errOut, filepath.Join(dir, "m_test.rego")+":3:15: rego: undefined function time.now_ns") {
		t.Fatalf("code %d\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "policy", "test", t.TempDir())
	if code != exitUsage || !strings.Contains(errOut, "no Rego test rules") {
		t.Fatalf("empty dir: code %d %s", code, errOut)
	}
}

func TestPolicyEvalShowInput(t *testing.T) {
	code, out, errOut := runCLI(t, "policy", "eval", "--show-input", "--facts", td+"rego/migrations/facts.json")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	f, err := readFacts(td + "rego/migrations/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(policy.RegoInput(f)) || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("show-input is not the Rego input:\n%s", out)
	}
	if code, _, _ := runCLI(t, "policy", "eval", "--show-input"); code != exitUsage {
		t.Fatalf("without --facts: code %d", code)
	}
}

func TestPolicyEvalAndValidateRego(t *testing.T) {
	code, out, errOut := runCLI(t, "policy", "eval", "--policy", td+"rego/payments/foureyes.yml", "--facts", td+"rego/payments/facts.json")
	if code != 0 || !strings.Contains(out, "rego: pass (data.foureyes.payments denies nothing)") {
		t.Fatalf("file: module from disk: code %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "policy", "eval", "--policy", td+"rego/migrations/foureyes.yml", "--facts", td+"rego/migrations/facts.json")
	if code != exitFail || !strings.Contains(out, "needs 2 DBA approvals, has 1") {
		t.Fatalf("code %d\n%s", code, out)
	}

	dir := t.TempDir()
	bad := filepath.Join(dir, "foureyes.yml")
	os.WriteFile(bad, []byte("version: 1\nrules:\n  - name: r\n    rego:\n      module: |\n        package p\n        deny contains x if { x := http.send({}) }\n"), 0o644)
	code, _, errOut = runCLI(t, "policy", "validate", bad)
	if code != exitFail || !strings.Contains(errOut, bad+":7:35: rego: undefined function http.send") {
		t.Fatalf("inline module: code %d\n%s", code, errOut)
	}
	withFile := filepath.Join(dir, "file.yml")
	os.WriteFile(withFile, []byte("version: 1\nrules:\n  - name: r\n    rego: {file: m.rego}\n"), 0o644)
	code, _, errOut = runCLI(t, "policy", "validate", withFile)
	if code != exitFail || !strings.Contains(errOut, withFile+":4:18: rego.file m.rego does not exist") {
		t.Fatalf("missing module: code %d\n%s", code, errOut)
	}
	os.WriteFile(filepath.Join(dir, "m.rego"), []byte("package m\n\ndeny contains \"x\" if rand.intn(\"a\", 3) > 1\n"), 0o644)
	code, _, errOut = runCLI(t, "policy", "validate", withFile)
	if code != exitFail || !strings.Contains("\n"+errOut, "\nm.rego:3:22: rego: undefined function rand.intn") {
		t.Fatalf("broken module: code %d\n%s", code, errOut)
	}
	// A .rego file on its own.
	code, _, errOut = runCLI(t, "policy", "validate", filepath.Join(dir, "m.rego"))
	if code != exitFail || !strings.Contains(errOut, filepath.Join(dir, "m.rego")+":3:22: rego: undefined function rand.intn") {
		t.Fatalf("rego file: code %d\n%s", code, errOut)
	}
	code, out, _ = runCLI(t, "policy", "validate", td+"rego/payments/payments.rego", td+"rego/payments/payments_test.rego")
	if code != 0 || !strings.Contains(out, "payments.rego: ok") {
		t.Fatalf("valid rego files: code %d\n%s", code, out)
	}
}

func TestPolicyBacktestCommand(t *testing.T) {
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "audit.db")
	st, err := store.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	f, err := readFacts(td + "rego/migrations/facts.json")
	if err != nil {
		t.Fatal(err)
	}
	factsJSON, _ := json.Marshal(f)
	head := f.PullRequest.Head.SHA
	for _, r := range []store.Record{
		{Kind: store.KindPRDecision, Repository: "acme/payments", PR: 101, SHA: head, Outcome: "pass", Facts: factsJSON, Decision: json.RawMessage(`{}`)},
		{Kind: store.KindMerge, Repository: "acme/payments", PR: 101, SHA: "m1", Outcome: "pass",
			Facts: json.RawMessage(`{"head_sha":"` + head + `","merged_at":"2026-11-18T11:00:00Z"}`)},
	} {
		if _, err := st.Append(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	code, out, errOut := runCLI(t, "policy", "backtest", "--repo", "acme/payments", "--since", "2026-11-01", "--until", "2026-12-01",
		"--policy", td+"rego/migrations/foureyes.yml", "--store", dbPath)
	if code != exitFail || !strings.Contains(out, "FAIL #101 (c100000, merged 2026-11-18 11:00, audit) (recorded pass): needs 2 DBA approvals, has 1") ||
		!strings.Contains(out, `rule "migrations need DBAs": needs 2 DBA approvals, has 1`) ||
		!strings.Contains(out, "1 merged: 0 would pass, 1 would fail, 0 would be pending, 0 not evaluated; 1 differ from the recorded outcome") {
		t.Fatalf("code %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "policy", "backtest", "--repo", "acme/payments", "--since", "2026-11-01", "--until", "2026-12-01",
		"--policy", td+"rego/payments/foureyes.yml", "--store", dbPath, "--format", "json")
	var rep struct {
		Passed  int `json:"passed"`
		Changes []struct {
			PR      int    `json:"pr"`
			Outcome string `json:"outcome"`
		} `json:"changes"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.Passed != 1 || rep.Changes[0].PR != 101 {
		t.Fatalf("json: code %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "policy", "backtest", "--repo", "acme/payments"); code != exitUsage || !strings.Contains(errOut, "--since") {
		t.Fatalf("usage: code %d %s", code, errOut)
	}
}
