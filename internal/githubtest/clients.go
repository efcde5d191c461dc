package githubtest

import (
	"testing"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
)

// Config is the go-githubapp configuration that points the app at this fake.
func (s *Server) Config() githubapp.Config {
	var c githubapp.Config
	c.WebURL, c.V3APIURL, c.V4APIURL = s.URL, s.APIURL, s.GraphQLURL
	c.App.IntegrationID, c.App.PrivateKey = s.AppID, string(s.PrivateKeyPEM)
	return c
}

// ClientCreator builds the client stack foureyes itself uses (go-githubapp's caching
// client creator: real app JWTs, installation tokens, conditional requests), pointed at
// the fake, so tests exercise the real go-github client end to end.
func (s *Server) ClientCreator(t testing.TB) githubapp.ClientCreator {
	t.Helper()
	cc, err := githubapp.NewDefaultCachingClientCreator(s.Config(),
		githubapp.WithClientCaching(true, func() httpcache.Cache { return httpcache.NewMemoryCache() }))
	if err != nil {
		t.Fatalf("client creator: %v", err)
	}
	return cc
}
