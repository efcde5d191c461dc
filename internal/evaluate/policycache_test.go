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
