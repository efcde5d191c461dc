package setup

import (
	"net"
	"net/url"
	"strings"
)

// unreachableWarning explains, with the fix, why GitHub can never deliver webhooks to
// publicURL when it names this machine (localhost, a loopback or unspecified address):
// the app would register fine and then never hear from GitHub. "" when the URL may be
// reachable.
func unreachableWarning(publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	local := host == "localhost" || strings.HasSuffix(host, ".localhost")
	if ip := net.ParseIP(host); ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		local = true
	}
	if !local {
		return ""
	}
	return "server.public_url is " + publicURL + ", an address of this machine: GitHub cannot reach it, so the app " +
		"would register but never receive a webhook. Before you register, stop foureyes and start it with a URL " +
		"GitHub can reach (this server's public address, or a tunnel to it), for example: " +
		"FOUREYES_SERVER_PUBLIC_URL=https://foureyes.example.com foureyes serve"
}
