package tickets

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// errTokenRefused is an OAuth token endpoint's refusal.
type errTokenRefused struct{ status int }

func (e errTokenRefused) Error() string { return "token endpoint HTTP " + strconv.Itoa(e.status) }

// Defaults of the HTTP layer shared by both clients.
const (
	DefaultTimeout   = 10 * time.Second // one request, connection to last byte
	DefaultAttempts  = 3                // tries per request for timeouts, 429 and 5xx
	DefaultBaseDelay = 250 * time.Millisecond
	// maxBody bounds what is read of one answer: a ticket is a few kilobytes, and the
	// answer is outside input.
	maxBody = 4 << 20
)

// Retry says how a request is retried inside one read. The read as a whole is retried
// later by the Watcher, with its own backoff, while the requirement stays pending.
type Retry struct {
	Attempts  int           // default DefaultAttempts
	BaseDelay time.Duration // doubled per attempt; default DefaultBaseDelay
}

// requester sends GET requests with retries, bounded reading and counting.
type requester struct {
	system  string
	client  *http.Client
	retry   Retry
	metrics *Metrics
	sleep   func(ctx context.Context, d time.Duration) error
}

func newRequester(system string, client *http.Client, timeout time.Duration, retry Retry, m *Metrics) *requester {
	if client == nil {
		client = &http.Client{}
	}
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := *client
	c.Timeout = timeout
	if retry.Attempts <= 0 {
		retry.Attempts = DefaultAttempts
	}
	if retry.BaseDelay <= 0 {
		retry.BaseDelay = DefaultBaseDelay
	}
	return &requester{system: system, client: &c, retry: retry, metrics: m, sleep: sleepCtx}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// get fetches url and returns the body of a 200. endpoint labels the metric (a route
// shape, never a ticket key). A 404 is ErrNotFound; every other failure is an
// *UnreachableError.
func (r *requester) get(ctx context.Context, endpoint, url string, header http.Header) ([]byte, error) {
	var last *UnreachableError
	for attempt := 0; attempt < r.retry.Attempts; attempt++ {
		if attempt > 0 {
			delay := r.retry.BaseDelay << (attempt - 1)
			if err := r.sleep(ctx, delay); err != nil {
				return nil, &UnreachableError{System: r.system, Reason: "cancelled while retrying after " + last.Reason}
			}
		}
		body, status, label, err := r.once(ctx, url, header)
		r.metrics.count(r.system, endpoint, label)
		switch {
		case errors.As(err, new(errTokenRefused)):
			st := err.(errTokenRefused).status
			if st >= 500 {
				last = &UnreachableError{System: r.system, Reason: "OAuth token endpoint HTTP " + strconv.Itoa(st)}
				continue
			}
			return nil, &UnreachableError{System: r.system, Reason: "OAuth token endpoint refused the client credentials (HTTP " + strconv.Itoa(st) + "): check tickets." + r.system + ".client_id and client_secret", Auth: true}
		case err != nil:
			last = &UnreachableError{System: r.system, Reason: err.Error()}
			if ctx.Err() != nil {
				return nil, last
			}
			continue
		case status == http.StatusOK:
			return body, nil
		case status == http.StatusNotFound:
			return body, ErrNotFound
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			return nil, &UnreachableError{System: r.system, Reason: "HTTP " + strconv.Itoa(status) + ": check the credentials in tickets." + r.system, Auth: true}
		case status == http.StatusTooManyRequests || status >= 500:
			last = &UnreachableError{System: r.system, Reason: "HTTP " + strconv.Itoa(status)}
			continue
		default:
			return nil, &UnreachableError{System: r.system, Reason: "unexpected HTTP " + strconv.Itoa(status)}
		}
	}
	return nil, last
}

// once is one request. label is the status for the metric: "error" when no answer came.
func (r *requester) once(ctx context.Context, url string, header http.Header) (body []byte, status int, label string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, "error", fmt.Errorf("bad request URL")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil {
			// The OAuth token endpoint refused the client credentials.
			return nil, 0, "token_" + strconv.Itoa(re.Response.StatusCode), errTokenRefused{status: re.Response.StatusCode}
		}
		return nil, 0, "error", errors.New(describe(err))
	}
	defer resp.Body.Close()
	label = strconv.Itoa(resp.StatusCode)
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, 0, label, errors.New("reading the answer: " + describe(err))
	}
	if len(body) > maxBody {
		return nil, 0, label, errors.New("answer larger than 4 MiB")
	}
	return body, resp.StatusCode, label, nil
}

// describe names a transport failure without echoing URLs (which may carry a key) or
// credentials.
func describe(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "connection failed (" + op.Op + ")"
	}
	return "request failed"
}

// baseURL checks a ticket system's configured URL (key names it in the error) and returns
// it without trailing slashes, so API paths are appended to it.
func baseURL(raw, key string) (string, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", errors.New(key + " must be an http(s) URL")
	}
	return u.String(), nil
}
