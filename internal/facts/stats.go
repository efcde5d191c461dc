package facts

import (
	"errors"
	"net/http"

	"github.com/google/go-github/v60/github"
)

// Stats counts what one gather cost. The server turns them into metrics.
type Stats struct {
	// Requests is every API request that reached GitHub, including conditional ones.
	Requests int `json:"requests"`
	// NotModified is how many of Requests were answered from the HTTP cache: a 304
	// revalidation, which GitHub does not charge against the rate limit. httpcache hands
	// those back as 200 with "X-From-Cache: 1". (With alwaysValidate=false a still-fresh
	// entry is served without any request and carries the same header; it is counted here
	// too, which only overstates the requests made, never the ones charged.)
	// Requests - NotModified is what the gather cost in rate limit.
	NotModified int `json:"not_modified"`
	// CacheHits is how many fetches foureyes' own caches saved (commits and files by SHA,
	// permissions and memberships within the TTL).
	CacheHits int `json:"cache_hits"`
	// UnknownUsers are the users a CachedUsersOnly gather left out (PROptions).
	UnknownUsers []string `json:"-"`
}

// Charged is the number of requests GitHub counts against the rate limit.
func (s Stats) Charged() int { return s.Requests - s.NotModified }

// Add returns the sum of s and o.
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Requests:     s.Requests + o.Requests,
		NotModified:  s.NotModified + o.NotModified,
		CacheHits:    s.CacheHits + o.CacheHits,
		UnknownUsers: append(append([]string(nil), s.UnknownUsers...), o.UnknownUsers...),
	}
}

// headerFromCache is set by gregjones/httpcache on answers it served from its cache.
const headerFromCache = "X-From-Cache"

// count records one go-github call. go-github returns the response even with an error,
// except when it refused to send the request at all: its own rate-limit guard answers with
// a synthetic 403 without headers, which reached nobody and is not counted.
func (s *Stats) count(resp *github.Response, err error) {
	if resp == nil || resp.Response == nil {
		return
	}
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	if (errors.As(err, &rl) || errors.As(err, &abuse)) && len(resp.Header) == 0 {
		return
	}
	s.Requests++
	if resp.Header.Get(headerFromCache) == "1" || resp.StatusCode == http.StatusNotModified {
		s.NotModified++
	}
}
