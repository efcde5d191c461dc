package evaluate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const regoFilePolicy = "version: 1\nrules:\n  - name: r\n    rego: {file: .github/m.rego}\n"

// A file: module is compiled and its query prepared once per content: the same module
// gives the same prepared policy; a changed module a new one with a new digest.
func TestRegoModulesPreparedOncePerVersion(t *testing.T) {
	var c policyCache
	p, err := c.parse(".github/foureyes.yml", []byte(regoFilePolicy))
	if err != nil {
		t.Fatal(err)
	}
	v1 := map[string][]byte{".github/m.rego": []byte("package m\ndeny contains \"one\" if false\n")}
	a, err := c.attach(p, v1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.attach(p, map[string][]byte{".github/m.rego": []byte("package m\ndeny contains \"one\" if false\n")})
	if a != b {
		t.Error("the same module was compiled twice")
	}
	other, err := c.attach(p, map[string][]byte{".github/m.rego": []byte("package m\ndeny contains \"two\" if false\n")})
	if err != nil || other == a || other.Digest() == a.Digest() {
		t.Errorf("a changed module served from the cache (err %v)", err)
	}
	if _, err := c.attach(p, nil); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing module: %v", err)
	}
}

func TestAttachRegoFromDisk(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, ".github"), 0o755)
	policyFile := filepath.Join(root, ".github", "foureyes.yml")
	os.WriteFile(policyFile, []byte(regoFilePolicy), 0o644)
	os.WriteFile(filepath.Join(root, ".github", "m.rego"), []byte("package m\ndeny contains \"x\" if false\n"), 0o644)
	if RepoRootOf(policyFile) != root {
		t.Fatalf("root %s", RepoRootOf(policyFile))
	}
	l, err := NewPolicyLoader(".github/foureyes.yml", ".github", policyFile)
	if err != nil {
		t.Fatalf("a baseline with a file: module next to it: %v", err)
	}
	if len(l.baseline.RegoFiles()) != 0 {
		t.Fatal("the baseline's module was not attached")
	}
	os.Remove(filepath.Join(root, ".github", "m.rego"))
	if _, err := NewPolicyLoader(".github/foureyes.yml", ".github", policyFile); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing module: %v", err)
	}
}
