package deploy

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// callbackPath is the path GitHub's deployment_callback_url has below the API root.
var callbackPath = regexp.MustCompile(`^repos/([A-Za-z0-9._-]+)/([A-Za-z0-9._-]+)/actions/runs/([0-9]+)/deployment_protection_rule$`)

// CheckCallback returns the workflow run id of a deployment_callback_url, or an error
// when the URL does not point at the configured GitHub API (same scheme, host and port,
// below the same path prefix, /api/v3/ for GitHub Enterprise Server) for the repository
// repo ("owner/name"). The answer is sent with the installation token, so a URL crafted
// to point anywhere else would leak it: such a URL is refused, never requested.
func CheckCallback(apiURL, callbackURL, repo string) (int64, error) {
	api, err := url.Parse(apiURL)
	if err != nil || api.Host == "" {
		return 0, fmt.Errorf("configured GitHub API URL %q is not an absolute URL", apiURL)
	}
	cb, err := url.Parse(callbackURL)
	if err != nil {
		return 0, fmt.Errorf("callback URL does not parse: %w", err)
	}
	switch {
	case !strings.EqualFold(cb.Scheme, api.Scheme):
		return 0, fmt.Errorf("callback scheme %q is not the API's %q", cb.Scheme, api.Scheme)
	case hostPort(cb) != hostPort(api):
		return 0, fmt.Errorf("callback host %q is not the API host %q", cb.Host, api.Host)
	case cb.User != nil || cb.RawQuery != "" || cb.Fragment != "" || cb.RawPath != "":
		return 0, fmt.Errorf("callback URL carries credentials, a query, a fragment or escapes")
	}
	prefix := api.Path
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	rest, ok := strings.CutPrefix(cb.Path, prefix)
	if !ok {
		return 0, fmt.Errorf("callback path %q is not below the API path %q", cb.Path, prefix)
	}
	m := callbackPath.FindStringSubmatch(rest)
	if m == nil || m[1] == "." || m[1] == ".." || m[2] == "." || m[2] == ".." {
		return 0, fmt.Errorf("callback path %q is not a deployment protection rule of a workflow run", cb.Path)
	}
	if !strings.EqualFold(m[1]+"/"+m[2], repo) {
		return 0, fmt.Errorf("callback names repository %s/%s, the event %s", m[1], m[2], repo)
	}
	run, err := strconv.ParseInt(m[3], 10, 64)
	if err != nil || run <= 0 {
		return 0, fmt.Errorf("callback run id %q is not a positive integer", m[3])
	}
	return run, nil
}

// hostPort is the lower-case host with the scheme's default port made explicit, so
// https://api.github.com and https://api.github.com:443 are the same place.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}
