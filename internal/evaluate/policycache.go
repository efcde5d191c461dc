package evaluate

import (
	"crypto/sha256"
	"sync"

	"github.com/foureyes/foureyes/policy"
)

// maxCachedPolicies bounds the parse cache; past it the cache starts over (a miss only
// costs one parse).
const maxCachedPolicies = 1024

// policyCache remembers parsed and merged policies by content. Every evaluation loads the
// policy, but a policy file changes rarely: parsing it once per version keeps YAML parsing
// (the slowest step of an evaluation's CPU work) off the hot path.
type policyCache struct {
	mu     sync.Mutex
	parsed map[[32]byte]parseResult
	merged map[[2]string]parseResult
	// attached holds policies with their `file:` Rego modules compiled (regoload.go).
	attached map[[32]byte]parseResult
}

type parseResult struct {
	p   *policy.Policy
	err error
}

func (c *policyCache) parse(name string, content []byte) (*policy.Policy, error) {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(content)
	var key [32]byte
	h.Sum(key[:0])
	c.mu.Lock()
	r, ok := c.parsed[key]
	c.mu.Unlock()
	if ok {
		return r.p, r.err
	}
	p, err := policy.Parse(name, content)
	c.mu.Lock()
	if c.parsed == nil || len(c.parsed) >= maxCachedPolicies {
		c.parsed = map[[32]byte]parseResult{}
	}
	c.parsed[key] = parseResult{p, err}
	c.mu.Unlock()
	return p, err
}

// merge caches policy.Merge by the digests of both sides (a nil side has digest "").
func (c *policyCache) merge(base, repo *policy.Policy) (*policy.Policy, error) {
	key := [2]string{digestOf(base), digestOf(repo)}
	c.mu.Lock()
	r, ok := c.merged[key]
	c.mu.Unlock()
	if ok {
		return r.p, r.err
	}
	p, err := policy.Merge(base, repo)
	c.mu.Lock()
	if c.merged == nil || len(c.merged) >= maxCachedPolicies {
		c.merged = map[[2]string]parseResult{}
	}
	c.merged[key] = parseResult{p, err}
	c.mu.Unlock()
	return p, err
}

func digestOf(p *policy.Policy) string {
	if p == nil {
		return ""
	}
	return p.Digest()
}
