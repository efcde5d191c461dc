package facts

import (
	"container/list"
	"strings"
	"sync"
	"time"
)

// lru is a small, bounded, concurrency-safe cache. Entries may carry an expiry (the
// permission and membership caches) or none (SHA-keyed data, which never changes).
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	order *list.List // front = most recently used; values are *lruItem[V]
	items map[string]*list.Element
}

type lruItem[V any] struct {
	key     string
	val     V
	expires time.Time // zero: never
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the value of key unless it is missing or expired at now.
func (c *lru[V]) get(key string, now time.Time) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	el, ok := c.items[key]
	if !ok {
		return zero, false
	}
	it := el.Value.(*lruItem[V])
	if !it.expires.IsZero() && !now.Before(it.expires) {
		c.order.Remove(el)
		delete(c.items, key)
		return zero, false
	}
	c.order.MoveToFront(el)
	return it.val, true
}

// put stores val under key; a zero expires keeps it until evicted.
func (c *lru[V]) put(key string, val V, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		it := el.Value.(*lruItem[V])
		it.val, it.expires = val, expires
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&lruItem[V]{key: key, val: val, expires: expires})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*lruItem[V]).key)
	}
}

// deleteSuffix drops every key that ends with suffix.
func (c *lru[V]) deleteSuffix(suffix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, el := range c.items {
		if strings.HasSuffix(k, suffix) {
			c.order.Remove(el)
			delete(c.items, k)
		}
	}
}

// zeroTime marks a cache entry that does not expire.
var zeroTime time.Time
