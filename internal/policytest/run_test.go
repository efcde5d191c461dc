package policytest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRunTestdata(t *testing.T) {
	s, err := Run(context.Background(), "../../testdata/rego", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.Failed != 0 || s.RegoTests < 4 || s.Cases < 5 || !strings.HasPrefix(s.Line(), "PASS: ") {
		for _, r := range s.Results {
			if !r.Pass {
				t.Logf("%s %s (%s): %s", r.Kind, r.Name, r.Where, r.Reason)
			}
		}
		t.Fatalf("summary %s", s.Line())
	}
}

func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := Run(context.Background(), dir, time.Second); !errors.Is(err, ErrNothingToTest) {
		t.Fatalf("empty dir: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x_test.yml"), []byte("cases:\n  - name: a\n    policy: p.yml\n    facts: f.json\n    outcome: maybe\n"), 0o644)
	if _, err := Run(context.Background(), dir, time.Second); err == nil || !strings.Contains(err.Error(), "x_test.yml:2: case \"a\": outcome must be pass, fail, pending or error") {
		t.Fatalf("bad outcome: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "x_test.yml"), []byte("cases:\n  - name: a\n    polcy: p.yml\n"), 0o644)
	if _, err := Run(context.Background(), dir, time.Second); err == nil || !strings.Contains(err.Error(), "field polcy not found") {
		t.Fatalf("misspelt key: %v", err)
	}
	// A broken policy is an error decision, which a case can expect.
	os.WriteFile(filepath.Join(dir, "p.yml"), []byte("version: 1\nrules:\n  - name: r\n    rego: {module: \"package p\\ndeny contains x if x := uuid.rfc4122(\\\"a\\\")\"}\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "f.json"), []byte(`{"repository": "a/b", "pull_request": {"number": 1}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "x_test.yml"), []byte("cases:\n  - name: forbidden built-in\n    policy: p.yml\n    facts: f.json\n    outcome: error\n    title: undefined function uuid.rfc4122\n"), 0o644)
	s, err := Run(context.Background(), dir, time.Second)
	if err != nil || s.Failed != 0 || s.Passed != 1 {
		t.Fatalf("err %v, %s %+v", err, s.Line(), s.Results)
	}
	// One case per file, at the top level.
	os.WriteFile(filepath.Join(dir, "single.test.yml"), []byte("policy: p.yml\nfacts: f.json\noutcome: pass\n"), 0o644)
	s, err = Run(context.Background(), dir, time.Second)
	if err != nil || s.Cases != 2 || s.Failed != 1 || !strings.Contains(s.Results[0].Reason, "outcome error, want pass") || s.Results[0].Name != "single.test.yml" {
		t.Fatalf("err %v, %s %+v", err, s.Line(), s.Results)
	}
}
