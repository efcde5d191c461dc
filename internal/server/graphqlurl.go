package server

import (
	"net/url"
	"strings"

	"github.com/rs/zerolog"
)

// graphQLURL is the GraphQL endpoint the evaluator may send installation tokens to: the
// configured github.v4_api_url, only when it is on the same host as github.v3_api_url.
// A GitHub Enterprise Server set up with v3_api_url alone would otherwise keep the
// default v4 URL of github.com and send that server's tokens there. "" (confirmations
// then read REST) when the hosts differ or a URL does not parse.
func graphQLURL(v3, v4 string, log zerolog.Logger) string {
	a, err1 := url.Parse(v3)
	b, err2 := url.Parse(v4)
	if err1 != nil || err2 != nil || v4 == "" || a.Host == "" || !strings.EqualFold(a.Host, b.Host) || a.Scheme != b.Scheme {
		log.Warn().Str("v3_api_url", v3).Str("v4_api_url", v4).
			Msg("github.v4_api_url is not on the host of github.v3_api_url: GraphQL is not used (green decisions are confirmed with REST reads)")
		return ""
	}
	return v4
}
