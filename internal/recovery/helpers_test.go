package recovery_test

import (
	"context"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/rs/zerolog"

	"github.com/foureyes/foureyes/internal/githubtest"
	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// clients builds the client stack the server uses (go-githubapp, real JWT and installation
// tokens), pointed at the fake.
func clients(t *testing.T, gh *githubtest.Server) githubapp.ClientCreator {
	return gh.ClientCreator(t)
}

func appClient(t *testing.T, gh *githubtest.Server) *github.Client {
	t.Helper()
	c, err := clients(t, gh).NewAppClient()
	if err != nil {
		t.Fatalf("app client: %v", err)
	}
	return c
}

// openStore opens the backend's store; it is closed when t ends (closing twice is fine
// for the restart tests, which close it themselves first).
func openStore(t *testing.T, b storetest.Backend) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), b.DSN)
	if err != nil {
		t.Fatalf("open %s store: %v", b.Name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testLog(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel)
}
