package store_test

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

// keyValueDSN rewrites a postgres:// URL as the libpq key/value string that names the
// same database: a DSN that only the postgres driver, not its prefix, can choose.
func keyValueDSN(t *testing.T, dsn string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	parts := []string{"host=" + u.Hostname(), "port=" + u.Port(), "user=" + u.User.Username(), "dbname=" + strings.TrimPrefix(u.Path, "/")}
	for k, v := range u.Query() {
		parts = append(parts, fmt.Sprintf("%s=%s", k, v[0]))
	}
	return strings.Join(parts, " ")
}

// TestOpenDriver: store.driver, not the look of the DSN, picks the backend.
func TestOpenDriver(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres with a key/value DSN", func(t *testing.T) {
		b := storetest.New(t, "postgres")
		st, err := store.OpenDriver(ctx, store.DriverPostgres, keyValueDSN(t, b.DSN))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		defer st.Close()
		if _, err := st.Enqueue(ctx, store.Delivery{ID: "d1", Event: "ping"}); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		// The delivery is in the PostgreSQL schema, seen through the URL form too.
		other, err := store.Open(ctx, b.DSN)
		if err != nil {
			t.Fatalf("open by URL: %v", err)
		}
		defer other.Close()
		if _, err := other.GetDelivery(ctx, "d1"); err != nil {
			t.Fatalf("the postgres driver did not write to PostgreSQL: %v", err)
		}
	})
	t.Run("sqlite refuses a PostgreSQL URL", func(t *testing.T) {
		_, err := store.OpenDriver(ctx, store.DriverSQLite, "postgres://u:secret@127.0.0.1:1/db")
		if err == nil || !strings.Contains(err.Error(), "store.driver") {
			t.Fatalf("err = %v, want a refusal naming store.driver", err)
		}
		if strings.Contains(err.Error(), "secret") {
			t.Fatalf("the error shows the password: %v", err)
		}
	})
	t.Run("sqlite with a path", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "f.db")
		st, err := store.OpenDriver(ctx, store.DriverSQLite, path)
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		st.Close()
	})
	t.Run("unknown driver", func(t *testing.T) {
		if _, err := store.OpenDriver(ctx, "mysql", "x"); err == nil {
			t.Fatal("an unknown driver was accepted")
		}
	})
}
