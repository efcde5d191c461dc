package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// TestMain lets tests re-exec this binary as a separate appender process (see
// runChild): concurrency and crash tests need real processes, not goroutines.
func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// open returns a fresh store on backend b, closed when t ends.
func open(t testing.TB, b storetest.Backend) store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), b.DSN)
	if err != nil {
		t.Fatalf("open %s store: %v", b.Name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
