package githubtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FixtureDir is the absolute path of the project's testdata/webhooks directory.
func FixtureDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "webhooks")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "webhooks")
}

// LoadFixture returns testdata/webhooks/<name> (for example "pull_request.opened.json").
// The fixtures are complete payloads of a repository acme/payments (installation 7) served
// from https://github.example.com; they are the golden output of the builders in this
// package (regenerate with `go test ./internal/githubtest -run TestFixtures -update`).
func LoadFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(FixtureDir(), name))
	if err != nil {
		t.Fatalf("githubtest: load fixture %s: %v", name, err)
	}
	return b
}
