package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

func loadFacts(t testing.TB, name string) Facts { return loadJSON[Facts](t, name) }

func loadDeployFacts(t testing.TB, name string) DeploymentFacts {
	return loadJSON[DeploymentFacts](t, name)
}

// loadJSON decodes testdata/facts/name strictly: a misspelt field fails the test.
func loadJSON[T any](t testing.TB, name string) T {
	t.Helper()
	var f T
	data, err := os.ReadFile("../testdata/facts/" + name)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return f
}

// checkGolden compares got with testdata/golden/name; -update rewrites it.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./policy -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden:\n%s", name, got)
	}
}

// goldenCases pairs a policy (and optional baseline) with facts; shared with report tests
// through the file names in testdata/golden.
var goldenCases = []struct{ name, baseline, policy, facts string }{
	{"approved", "baseline.yml", "valid-full.yml", "pr-approved.json"},
	{"docs-only", "", "valid-full.yml", "pr-docs-only.json"},
	{"draft", "", "valid-full.yml", "pr-draft.json"},
	{"truncated", "", "valid-full.yml", "pr-truncated.json"},
	{"hard-cases", "", "hard-cases.yml", "pr-hard.json"},
	{"hard-full", "baseline.yml", "valid-full.yml", "pr-hard.json"},
	// PAY-12 verified; CHG0001234 approved by erin, who committed the change.
	{"tickets", "", "tickets.yml", "pr-tickets.json"},
}

func TestGoldenDecisions(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			var base *Policy
			if tc.baseline != "" {
				base = readPolicy(t, tc.baseline)
			}
			p, err := Merge(base, readPolicy(t, tc.policy))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "decision-"+tc.name+".json", Evaluate(p, loadFacts(t, tc.facts)).JSON())
		})
	}
	t.Run("error", func(t *testing.T) {
		data, _ := os.ReadFile("../testdata/policies/broken-many.yml")
		_, err := Parse("broken-many.yml", data)
		checkGolden(t, "decision-error.json", ErrorDecision(err).JSON())
	})
}

func TestGoldenDeployments(t *testing.T) {
	full := readPolicy(t, "valid-full.yml")
	for _, tc := range []struct{ name, facts string }{
		{"approved", "deploy-approved.json"},
		{"rejected", "deploy-rejected.json"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkGolden(t, "deployment-"+tc.name+".json", EvaluateDeployment(full, loadDeployFacts(t, tc.facts)).JSON())
		})
	}
}
