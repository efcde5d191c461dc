package setup

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// exchangeTimeout bounds the conversion call: the user is waiting on the page.
const exchangeTimeout = 30 * time.Second

// exchangeError says why the code could not be exchanged and whether a retry with the same
// code can help.
type exchangeError struct {
	status    int  // GitHub's HTTP status, 0 when GitHub was not reached
	retryable bool // GitHub down or unreachable: the code may still be valid
	err       error
}

func (e *exchangeError) Error() string { return e.err.Error() }
func (e *exchangeError) Unwrap() error { return e.err }

// newManifestClient builds an unauthenticated go-github client: the conversion endpoint
// needs no credentials (there are none yet), only the code.
func newManifestClient(v3APIURL string) (*github.Client, error) {
	u, err := url.Parse(v3APIURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("v3 API URL %q is not an absolute URL", v3APIURL)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	c := github.NewClient(&http.Client{Timeout: exchangeTimeout})
	c.BaseURL = u
	return c, nil
}

// exchange converts the code into the app's credentials with POST /app-manifests/{code}/conversions.
// It returns the app's name with them, for the done page.
func exchange(ctx context.Context, c *github.Client, code string) (Credentials, string, error) {
	ctx, cancel := context.WithTimeout(ctx, exchangeTimeout)
	defer cancel()
	cfg, resp, err := c.Apps.CompleteAppManifest(ctx, url.PathEscape(code))
	if err != nil {
		return Credentials{}, "", classify(err, resp)
	}
	creds := Credentials{
		AppID:         cfg.GetID(),
		Slug:          cfg.GetSlug(),
		WebhookSecret: cfg.GetWebhookSecret(),
		PrivateKey:    cfg.GetPEM(),
		ClientID:      cfg.GetClientID(),
		ClientSecret:  cfg.GetClientSecret(),
		HTMLURL:       cfg.GetHTMLURL(),
	}
	if err := creds.validate(); err != nil {
		return Credentials{}, "", &exchangeError{status: resp.StatusCode, err: fmt.Errorf("GitHub returned incomplete app credentials: %w", err)}
	}
	return creds, cfg.GetName(), nil
}

// classify turns a go-github error into an exchangeError. Its message never contains the
// request URL: the URL holds the code, which is worth the app's private key for an hour and
// must not reach the logs.
func classify(err error, resp *github.Response) *exchangeError {
	e := &exchangeError{retryable: true}
	var ge *github.ErrorResponse
	var ue *url.Error
	switch {
	case errors.As(err, &ge) && ge.Response != nil:
		e.status = ge.Response.StatusCode
		e.err = fmt.Errorf("exchange manifest code: GitHub answered %d: %s", e.status, ge.Message)
	case errors.As(err, &ue):
		e.err = fmt.Errorf("exchange manifest code: %s: %w", ue.Op, ue.Err)
	default:
		if resp != nil && resp.Response != nil {
			e.status = resp.StatusCode
		}
		e.err = fmt.Errorf("exchange manifest code: GitHub answered %d", e.status)
	}
	// A 4xx is GitHub's final word on this code, except rate limits; anything else (5xx,
	// timeout, refused connection) may pass, and the code stays valid for an hour.
	if e.status >= 400 && e.status < 500 && e.status != http.StatusTooManyRequests {
		var rl *github.RateLimitError
		var arl *github.AbuseRateLimitError
		e.retryable = errors.As(err, &rl) || errors.As(err, &arl)
	}
	return e
}
