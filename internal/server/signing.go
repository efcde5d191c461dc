package server

import (
	"crypto/ed25519"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"

	"github.com/foureyes/foureyes/internal/audit"
	"github.com/foureyes/foureyes/internal/setup"
	"github.com/foureyes/foureyes/internal/signing"
	"github.com/foureyes/foureyes/internal/store"
)

// signingKeyPath is audit.signing_key, or the default next to the credentials file.
func signingKeyPath(cfgKey, credentialsFile string) string {
	if cfgKey != "" {
		return cfgKey
	}
	return signing.DefaultPath(credentialsFile)
}

// loadSigningKey loads (or, at first start, creates) the key that signs the audit chain
// and gives it to the store. Only its fingerprint is ever logged.
func (s *Server) loadSigningKey() error {
	path := signingKeyPath(s.cfg.Audit.SigningKey, s.cfg.GitHub.CredentialsFile)
	priv, created, err := signing.LoadOrCreate(path)
	if err != nil {
		return fmt.Errorf("audit.signing_key: %w", err)
	}
	if s.store != nil { // nil only in unit tests of the configuration checks
		kh, ok := s.store.(store.KeyHolder)
		if !ok {
			return fmt.Errorf("the store cannot sign the audit log")
		}
		kh.SetSigningKey(priv)
	}
	s.signKey = priv
	fp := signing.Fingerprint(priv.Public().(ed25519.PublicKey))
	if created {
		s.logger.Info().Str("path", path).Str("fingerprint", fp).
			Msg("created the audit signing key: keep it with the app's credentials and back it up; publish its public half (foureyes audit pubkey)")
	} else {
		s.logger.Info().Str("path", path).Str("fingerprint", fp).Msg("audit records are signed")
	}
	setup.WarnIfCommittable(s.logger, path)
	return nil
}

// startCheckpointer writes signed checkpoints of the chain head outside the database
// (audit.checkpoint), until Shutdown.
func (s *Server) startCheckpointer() {
	cp := s.cfg.Audit.Checkpoint
	var sinks []audit.CheckpointSink
	for _, t := range cp.Targets {
		switch {
		case t == "log":
			sinks = append(sinks, audit.LogSink{Logger: s.logger})
		case strings.HasPrefix(t, "file:"):
			sinks = append(sinks, &audit.FileSink{Path: strings.TrimPrefix(t, "file:")})
		case strings.HasPrefix(t, "github:"):
			sink, err := s.githubCheckpointSink(t, cp.GitHubToken)
			if err != nil {
				s.logger.Error().Err(err).Msg("audit checkpoint target ignored")
				continue
			}
			sinks = append(sinks, sink)
		}
	}
	head, ok := s.store.(audit.HeadReader)
	if len(sinks) == 0 || cp.Interval <= 0 || !ok {
		return
	}
	c := &audit.Checkpointer{Store: head, Key: s.signKey, Sinks: sinks, Interval: cp.Interval.D(), Now: s.now, Logger: s.logger}
	s.bg.Add(1)
	go func() { defer s.bg.Done(); c.Run(s.ctx) }()
}

// githubCheckpointSink builds the github: checkpoint target with its own token, against
// the configured API (GitHub Enterprise Server too).
func (s *Server) githubCheckpointSink(target, token string) (*audit.GitHubSink, error) {
	owner, repo, path, branch, err := audit.ParseGitHubTarget(target)
	if err != nil {
		return nil, err
	}
	client, err := github.NewClient(&http.Client{Timeout: 30 * time.Second}).WithAuthToken(token).
		WithEnterpriseURLs(s.cfg.GitHub.V3APIURL, s.cfg.GitHub.V3APIURL)
	if err != nil {
		return nil, fmt.Errorf("audit.checkpoint github target: %w", err)
	}
	return &audit.GitHubSink{Client: client, Owner: owner, Repo: repo, Path: path, Branch: branch}, nil
}
