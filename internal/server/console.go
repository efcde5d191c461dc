package server

import (
	"crypto/ed25519"
	"fmt"
	"net/http"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/foureyes/foureyes/internal/console"
)

// startConsole builds the compliance console once the app's credentials exist (its
// authorization reads GitHub with them). Called with s.mu held.
func (s *Server) startConsole(clients githubapp.ClientCreator) error {
	if err := console.ParseTeams(s.cfg.Console.Auditors); err != nil {
		return err
	}
	st, ok := s.store.(console.ConsoleStore)
	if !ok {
		return fmt.Errorf("console: the store does not implement the chain reader")
	}
	c, err := console.New(console.Config{
		PublicURL: s.cfg.Server.PublicURL, WebURL: s.cfg.GitHub.WebURL, V3APIURL: s.cfg.GitHub.V3APIURL,
		ClientID: s.cfg.GitHub.App.ClientID, ClientSecret: s.cfg.GitHub.App.ClientSecret,
		SessionTTL: s.cfg.Console.SessionTTL.D(), StoreName: s.cfg.Store.Driver, Store: st,
		Authorizer: &console.GitHubAuthorizer{Clients: clients, Auditors: s.cfg.Console.Auditors},
		Logger:     s.logger, Now: s.now, PublicKey: s.publicKey(),
	})
	if err != nil {
		return err
	}
	s.console.Store(c)
	return nil
}

// serveConsole serves /console/ in normal mode; before registration it says why not.
func (s *Server) serveConsole(w http.ResponseWriter, r *http.Request) {
	c := s.console.Load()
	if c == nil {
		http.Error(w, "the compliance console starts once foureyes is registered with GitHub", http.StatusServiceUnavailable)
		return
	}
	c.ServeHTTP(w, r)
}

// publicKey is the audit signing key's public half (nil before it is loaded).
func (s *Server) publicKey() ed25519.PublicKey {
	if s.signKey == nil {
		return nil
	}
	return s.signKey.Public().(ed25519.PublicKey)
}
