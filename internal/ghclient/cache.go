package ghclient

import (
	"math"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// ByteCache is an httpcache.Cache bounded in bytes: the conditional-request cache of one
// installation client. go-githubapp's default, httpcache.NewMemoryCache, keeps every
// answer forever; this one drops the least recently used answers past maxBytes. An
// evicted answer only costs one request that GitHub charges, where a 304 was free.
type ByteCache struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[string, []byte]
	bytes int64
	max   int64
}

// NewByteCache returns a cache holding at most maxBytes of keys and answers.
func NewByteCache(maxBytes int64) *ByteCache {
	c := &ByteCache{max: maxBytes}
	// The count bound is never the one that bites: bytes are.
	c.lru, _ = simplelru.NewLRU[string, []byte](math.MaxInt32, func(k string, v []byte) {
		c.bytes -= int64(len(k) + len(v))
	})
	return c
}

// Get returns the cached answer for key.
func (c *ByteCache) Get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

// Set stores an answer, evicting the oldest until the cache fits its budget. An answer
// larger than the whole budget is not kept.
func (c *ByteCache) Set(key string, val []byte) {
	size := int64(len(key) + len(val))
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key)
	if size > c.max {
		return
	}
	c.lru.Add(key, val)
	c.bytes += size
	for c.bytes > c.max {
		if _, _, ok := c.lru.RemoveOldest(); !ok {
			break
		}
	}
}

// Delete drops key.
func (c *ByteCache) Delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lru.Remove(key)
}

// Bytes is what the cache holds now.
func (c *ByteCache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}
