package ghclient

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gregjones/httpcache"
)

var _ httpcache.Cache = (*ByteCache)(nil)

func TestByteCacheStaysWithinBudget(t *testing.T) {
	tests := []struct {
		name    string
		max     int64
		entries int
		size    int
	}{
		{"many small answers", 10_000, 1000, 100},
		{"few large answers", 1 << 20, 50, 100_000},
		{"answer larger than the budget", 1000, 3, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewByteCache(tt.max)
			for i := range tt.entries {
				c.Set(fmt.Sprintf("k%04d", i), []byte(strings.Repeat("x", tt.size)))
				if c.Bytes() > tt.max {
					t.Fatalf("after %d answers the cache holds %d bytes, budget %d", i+1, c.Bytes(), tt.max)
				}
			}
			last := fmt.Sprintf("k%04d", tt.entries-1)
			if _, ok := c.Get(last); ok != (int64(tt.size+len(last)) <= tt.max) {
				t.Errorf("most recent answer kept = %v", ok)
			}
			if _, ok := c.Get("k0000"); ok && tt.entries*tt.size > int(tt.max) {
				t.Errorf("the oldest answer survived past the budget")
			}
		})
	}
}

func TestByteCacheReplaceAndDelete(t *testing.T) {
	c := NewByteCache(1000)
	c.Set("a", []byte("12345"))
	c.Set("a", []byte("12"))
	if c.Bytes() != 3 {
		t.Fatalf("bytes %d after replacing, want 3", c.Bytes())
	}
	if v, ok := c.Get("a"); !ok || string(v) != "12" {
		t.Fatalf("Get(a) = %q, %v", v, ok)
	}
	c.Delete("a")
	if _, ok := c.Get("a"); ok || c.Bytes() != 0 {
		t.Fatalf("after Delete: present %v, bytes %d", ok, c.Bytes())
	}
}
