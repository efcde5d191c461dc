package evaluate

import (
	"testing"
)

const cachedPolicy = "version: 1\nrules:\n  - name: r\n    approvals: {count: 1}\n"

func TestPolicyCacheParsesEachVersionOnce(t *testing.T) {
	var c policyCache
	a, err := c.parse(".github/foureyes.yml", []byte(cachedPolicy))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := c.parse(".github/foureyes.yml", []byte(cachedPolicy))
	if a != b {
		t.Error("the same content was parsed twice")
	}
	other, _ := c.parse(".github/foureyes.yml", []byte(cachedPolicy+"    checks: [build]\n"))
	if other == a || other.Digest() == a.Digest() {
		t.Error("changed content served from the cache")
	}
	if _, err := c.parse("x.yml", []byte("version: 2\n")); err == nil {
		t.Error("a broken policy parsed")
	}
	if _, err := c.parse("x.yml", []byte("version: 2\n")); err == nil {
		t.Error("a cached broken policy lost its error")
	}
	m1, err := c.merge(other, a)
	if err == nil {
		t.Errorf("a repo rule named like a baseline rule merged: %v", m1)
	}
	m2, err := c.merge(nil, a)
	m3, _ := c.merge(nil, a)
	if err != nil || m2 != m3 {
		t.Errorf("merge not cached: %v", err)
	}
}

func BenchmarkPolicyLoadCached(b *testing.B) {
	var c policyCache
	content := []byte(cachedPolicy)
	for i := 0; i < b.N; i++ {
		if _, err := c.parse(".github/foureyes.yml", content); err != nil {
			b.Fatal(err)
		}
	}
}

// TestValidateCachedByContent: a PR that touches the policy file validates the same content
// on every event; it is parsed once.
func TestValidateCachedByContent(t *testing.T) {
	l, err := NewPolicyLoader(".github/foureyes.yml", ".github", "")
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte("version: 1\nrules:\n  - name: r\n    approvals: {count: zero}\n")
	e1 := l.Validate(bad)
	e2 := l.Validate(bad)
	if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
		t.Fatalf("validation errors differ or missing: %v / %v", e1, e2)
	}
	if err := l.Validate([]byte(cachedPolicy)); err != nil {
		t.Fatal(err)
	}
	if n := len(l.cache.parsed); n != 2 {
		t.Errorf("%d parses cached, want 2 (one per content)", n)
	}
}
