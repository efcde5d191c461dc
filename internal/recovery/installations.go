package recovery

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// Installation is one installation of the App and, when already known, its repositories
// ("owner/name"). Repos nil means the sweeper lists them with the installation's client.
type Installation struct {
	ID    int64
	Repos []string
}

// AppInstallations lists every installation of the App (GET /app/installations, app JWT),
// for Sweeper.Installations.
func AppInstallations(app *github.Client) func(ctx context.Context) ([]Installation, error) {
	return func(ctx context.Context) ([]Installation, error) {
		var out []Installation
		opts := &github.ListOptions{PerPage: 100}
		for {
			page, resp, err := app.Apps.ListInstallations(ctx, opts)
			if err != nil {
				return out, fmt.Errorf("list app installations (page %d): %w", opts.Page, err)
			}
			for _, in := range page {
				if in.GetSuspendedAt().IsZero() {
					out = append(out, Installation{ID: in.GetID()})
				}
			}
			if resp.NextPage == 0 {
				return out, nil
			}
			opts.Page = resp.NextPage
		}
	}
}

// installationRepos lists the repositories an installation can see
// (GET /installation/repositories with its token), skipping archived ones: nothing merges
// there.
func installationRepos(ctx context.Context, client *github.Client) ([]string, *github.Response, error) {
	var out []string
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := client.Apps.ListRepos(ctx, opts)
		if err != nil {
			return out, resp, fmt.Errorf("list installation repositories (page %d): %w", opts.Page, err)
		}
		for _, r := range page.Repositories {
			if !r.GetArchived() {
				out = append(out, r.GetFullName())
			}
		}
		if resp.NextPage == 0 {
			return out, resp, nil
		}
		opts.Page = resp.NextPage
	}
}
