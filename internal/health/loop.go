package health

import (
	"context"
	"fmt"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/store"
)

// LeaderLock is the Store.TryLead name of the daily probe.
const LeaderLock = "foureyes-control-health"

// DefaultEvery is how often every repository is probed.
const DefaultEvery = 24 * time.Hour

// Loop probes every repository of every installation at start and then every Every, on
// one replica at a time.
type Loop struct {
	Prober *Prober
	App    func() (*github.Client, error) // the app (JWT) client, to list installations
	Leader store.Leader
	Every  time.Duration
	Log    zerolog.Logger
	Now    func() time.Time // time.Now when nil
}

// Run blocks until ctx ends. A failed round is logged and tried again next time.
func (l *Loop) Run(ctx context.Context) error {
	every := l.Every
	if every <= 0 {
		every = DefaultEvery
	}
	now := l.Now
	if now == nil {
		now = time.Now
	}
	t := time.NewTicker(min(every, time.Hour))
	defer t.Stop()
	var last time.Time
	for {
		if now().Sub(last) >= every {
			release, ok, err := l.Leader.TryLead(ctx, LeaderLock)
			switch {
			case err != nil && ctx.Err() == nil:
				l.Log.Error().Err(err).Msg("control health: cannot try for leadership")
			case ok:
				n, err := l.ProbeAll(ctx)
				release()
				if err != nil && ctx.Err() == nil {
					l.Log.Error().Err(err).Int("probed", n).Msg("control health round incomplete; retried next round")
				} else {
					l.Log.Info().Int("probed", n).Msg("control health probed")
				}
				last = now()
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// ProbeAll probes every repository the app is installed on and returns how many it probed.
// It goes on after a repository fails and returns the first error.
func (l *Loop) ProbeAll(ctx context.Context) (int, error) {
	app, err := l.App()
	if err != nil {
		return 0, err
	}
	var first error
	n := 0
	opts := &github.ListOptions{PerPage: 100}
	for {
		insts, resp, err := app.Apps.ListInstallations(ctx, opts)
		if err != nil {
			return n, fmt.Errorf("list installations: %w", err)
		}
		for _, in := range insts {
			if !in.GetSuspendedAt().IsZero() {
				continue
			}
			k, err := l.Prober.ProbeInstallation(ctx, in.GetID(), "")
			n += k
			first = firstErr(first, err)
		}
		if resp.NextPage == 0 {
			return n, first
		}
		opts.Page = resp.NextPage
	}
}

func firstErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// ProbeInstallation probes every repository of one installation (an org ruleset changed,
// or the daily round) and returns how many it probed; it goes on after a repository
// fails and returns the first error.
func (p *Prober) ProbeInstallation(ctx context.Context, installationID int64, deliveryID string) (int, error) {
	c, err := p.Clients.NewInstallationClient(installationID)
	if err != nil {
		return 0, err
	}
	var first error
	n := 0
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.Apps.ListRepos(ctx, opts)
		if err != nil {
			return n, firstErr(first, fmt.Errorf("repositories of installation %d: %w", installationID, err))
		}
		for _, r := range page.Repositories {
			if r.GetArchived() {
				continue
			}
			if _, err := p.Probe(ctx, installationID, r.GetOwner().GetLogin(), r.GetName(), deliveryID); err != nil {
				first = firstErr(first, err)
				continue
			}
			n++
		}
		if resp.NextPage == 0 {
			return n, first
		}
		opts.Page = resp.NextPage
	}
}
