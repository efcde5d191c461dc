// Package ghclient builds the GitHub clients foureyes uses: go-githubapp's caching client
// creator (conditional requests, so an unchanged answer costs no rate limit) with a
// middleware that counts every request by route and status, per evaluation and globally.
package ghclient

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/metrics"
)

// UserAgent names foureyes to GitHub.
const UserAgent = "foureyes"

// Counter counts the GitHub requests made with one context: an evaluation puts one in its
// context so the cost of each decision is known exactly (a log field and a metric).
type Counter struct {
	requests    atomic.Int64
	notModified atomic.Int64
}

// Requests is what GitHub charged: requests that were not answered 304.
func (c *Counter) Requests() int64 { return c.requests.Load() }

// NotModified counts conditional requests GitHub answered 304 (free).
func (c *Counter) NotModified() int64 { return c.notModified.Load() }

type counterKey struct{}

// WithCounter returns a context whose GitHub requests are counted in the returned Counter.
func WithCounter(ctx context.Context) (context.Context, *Counter) {
	c := &Counter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// NewClientCreator returns go-githubapp's caching client creator with foureyes' middleware.
// alwaysValidate makes every cached GET a conditional request: GitHub says whether the
// data changed, and a 304 costs nothing.
//
// Each installation client's cache holds at most cacheBytes (DefaultCacheBytes when 0);
// budget (may be nil) follows each installation's rate limit.
func NewClientCreator(c githubapp.Config, m *metrics.Metrics, timeout time.Duration, opts ...Option) (githubapp.ClientCreator, error) {
	o := options{cacheBytes: DefaultCacheBytes}
	for _, f := range opts {
		f(&o)
	}
	copts := []githubapp.ClientOption{
		githubapp.WithClientUserAgent(UserAgent),
		githubapp.WithClientTimeout(timeout),
		githubapp.WithClientCaching(true, func() httpcache.Cache { return NewByteCache(o.cacheBytes) }),
		githubapp.WithClientMiddleware(MiddlewareWithBudget(m, o.budget)),
	}
	if o.selections != nil {
		// The base transport: the only layer the installation token request passes through.
		copts = append(copts, githubapp.WithTransport(o.selections.Transport(http.DefaultTransport)))
	}
	return githubapp.NewDefaultCachingClientCreator(c, copts...)
}

// DefaultCacheBytes bounds an installation client's HTTP cache when nothing is set.
const DefaultCacheBytes = 8 << 20

type options struct {
	cacheBytes int64
	budget     *Budget
	selections *Selections
}

// Option configures NewClientCreator.
type Option func(*options)

// WithCacheBytes bounds each installation client's HTTP cache.
func WithCacheBytes(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.cacheBytes = n
		}
	}
}

// WithBudget makes every answer update the installation's rate budget.
func WithBudget(b *Budget) Option { return func(o *options) { o.budget = b } }

// WithSelections makes every installation token answer record the installation's
// repository selection in s.
func WithSelections(s *Selections) Option { return func(o *options) { o.selections = s } }

// Middleware counts requests by route and status and records the rate limit remaining.
// It sits outside the cache, so a revalidated answer arrives as a 200 marked
// X-From-Cache: it is counted as 304, which is what GitHub answered.
func Middleware(m *metrics.Metrics) githubapp.ClientMiddleware { return MiddlewareWithBudget(m, nil) }

// MiddlewareWithBudget is Middleware that also feeds each installation's rate budget
// (requests whose context names the installation, WithInstallation).
func MiddlewareWithBudget(m *metrics.Metrics, budget *Budget) githubapp.ClientMiddleware {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripper(func(req *http.Request) (*http.Response, error) {
			resp, err := next.RoundTrip(req)
			status := "error"
			fromCache, notModified := false, false
			if resp != nil {
				status = strconv.Itoa(resp.StatusCode)
				if resp.Header.Get(httpcache.XFromCache) != "" {
					status, fromCache = "304", true
				}
				// A 304 that reaches us directly (a caller's own conditional request) is
				// free too.
				notModified = fromCache || resp.StatusCode == http.StatusNotModified
				if inst, ok := installationOf(req.Context()); ok && !fromCache {
					budget.observe(inst, resp.Header)
				}
				if rem := resp.Header.Get("X-RateLimit-Remaining"); rem != "" && !fromCache {
					if v, perr := strconv.ParseFloat(rem, 64); perr == nil && m != nil {
						res := resp.Header.Get("X-RateLimit-Resource")
						if res == "" {
							res = "core"
						}
						m.RateLimitRemaining.WithLabelValues(res).Set(v)
					}
				}
			}
			if m != nil {
				m.GitHubRequests.WithLabelValues(Route(req.Method, req.URL.Path), status).Inc()
			}
			if resp != nil && resp.Body != nil && req.Method == http.MethodGet && !fromCache {
				resp.Body = &drainOnClose{ReadCloser: resp.Body}
			}
			if c, ok := req.Context().Value(counterKey{}).(*Counter); ok {
				if notModified {
					c.notModified.Add(1)
				} else {
					c.requests.Add(1)
				}
			}
			return resp, err
		})
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Route turns a request path into a low-cardinality label: owner, repository, numbers and
// SHAs become placeholders ("GET /repos/{owner}/{repo}/pulls/{n}/reviews").
func Route(method, path string) string {
	// GitHub Enterprise Server prefix. Only a leading one: "/api/v3/" may also occur inside
	// a path (a file docs/api/v3/x.md, an owner "api" with a repository "v3").
	if p, ok := strings.CutPrefix(path, "/api/v3/"); ok {
		path = "/" + p
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i, p := range parts {
		switch {
		case i > 0 && parts[0] == "repos" && i == 1:
			parts[i] = "{owner}"
		case i > 0 && parts[0] == "repos" && i == 2:
			parts[i] = "{repo}"
		case i > 0 && (parts[0] == "orgs" && i == 1):
			parts[i] = "{org}"
		case i > 0 && parts[i-1] == "compare": // base...head, SHAs or refs
			parts[i] = "{basehead}"
		case i > 0 && parts[i-1] == "contents":
			parts = append(parts[:i], "{path}")
			return method + " /" + strings.Join(parts, "/")
		case len(p) >= 40 && isHex(p): // before numbers: a SHA may be all digits
			parts[i] = "{sha}"
		case isNumber(p):
			parts[i] = "{n}"
		case i > 0 && (parts[i-1] == "collaborators" || parts[i-1] == "memberships" || parts[i-1] == "teams" || parts[i-1] == "commits" || parts[i-1] == "app-manifests"):
			parts[i] = "{" + strings.TrimSuffix(parts[i-1], "s") + "}"
		}
	}
	return method + " /" + strings.Join(parts, "/")
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// drainOnClose reads what is left of an answer before closing it. go-github decodes JSON
// without reading to the end of the body, and httpcache stores an answer only when its
// body reaches EOF: without draining, a list of more than a couple of items was never
// cached, so the next read of it was never conditional and always charged.
type drainOnClose struct {
	io.ReadCloser
}

// maxDrain bounds what Close reads of an abandoned answer.
const maxDrain = 4 << 20

func (d *drainOnClose) Close() error {
	_, _ = io.CopyN(io.Discard, d.ReadCloser, maxDrain)
	return d.ReadCloser.Close()
}
