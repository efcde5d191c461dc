package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/foureyes/foureyes/internal/store"
	"github.com/foureyes/foureyes/internal/store/storetest"
)

func TestIsTransientUnit(t *testing.T) {
	pg := func(code string) error { return fmt.Errorf("claim: %w", &pgconn.PgError{Code: code}) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown (failover, pg_ctl restart)", pg("57P01"), true},
		{"crash shutdown", pg("57P02"), true},
		{"starting up", pg("57P03"), true},
		{"connection failure", pg("08006"), true},
		{"serialization failure", pg("40001"), true},
		{"deadlock", pg("40P01"), true},
		{"too many connections", pg("53300"), true},
		{"unique violation", pg("23505"), false},
		{"syntax error", pg("42601"), false},
		{"append-only trigger", pg("42501"), false},
		{"connection refused", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"unexpected EOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), true},
		{"bad conn", sql.ErrConnDone, true},
		{"unavailable", fmt.Errorf("x: %w", store.ErrUnavailable), true},
		{"not found", store.ErrNotFound, false},
		{"closed", store.ErrClosed, false},
		{"cancelled", context.Canceled, false},
		{"plain", errors.New("decode payload: bad json"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := store.IsTransient(tt.err); got != tt.want {
				t.Errorf("IsTransient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// A real SQLITE_BUSY (another process holds the write lock) is transient.
func TestSQLiteBusyIsTransient(t *testing.T) {
	path := filepath.Join(t.TempDir(), "busy.db")
	st, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	holder, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	_, err = other.Exec(`INSERT INTO checkpoints (key, value) VALUES ('k', 'v')`)
	if err == nil {
		t.Fatal("a second writer was not refused while the first held the lock")
	}
	if !store.IsTransient(err) {
		t.Fatalf("IsTransient(%v) = false, want true for SQLITE_BUSY", err)
	}
}

// Every session of a store is killed by the server (57P01, as in a failover or a
// pg_ctl restart -m fast); the store's next writes and reads succeed without the caller
// seeing an error.
func TestPostgresTerminatedSessionsAreRetried(t *testing.T) {
	b := storetest.New(t, "postgres")
	u, err := url.Parse(b.DSN)
	if err != nil {
		t.Fatal(err)
	}
	app := fmt.Sprintf("fleet-terminate-%d", time.Now().UnixNano())
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	st, err := store.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	warm := func(i int) {
		t.Helper()
		if _, err := st.Enqueue(ctx, store.Delivery{ID: fmt.Sprintf("warm-%d", i), Event: "ping"}); err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		if _, err := st.Append(ctx, store.Record{Kind: store.KindPush, Repository: "acme/x", Outcome: "recorded"}); err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	for i := 0; i < 4; i++ {
		warm(i)
	}
	raw := b.Raw(t)
	var killed int
	if err := raw.QueryRow(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed == 0 {
		t.Fatal("no session of the store was found to terminate")
	}
	if _, err := st.Enqueue(ctx, store.Delivery{ID: "after", Event: "ping"}); err != nil {
		t.Fatalf("enqueue after the sessions were terminated: %v", err)
	}
	if _, err := st.Append(ctx, store.Record{Kind: store.KindPush, Repository: "acme/x", Outcome: "recorded"}); err != nil {
		t.Fatalf("append after the sessions were terminated: %v", err)
	}
	if _, err := st.Claim(ctx, 10, time.Minute); err != nil {
		t.Fatalf("claim after the sessions were terminated: %v", err)
	}
	if _, err := st.GetDelivery(ctx, "after"); err != nil {
		t.Fatalf("read after the sessions were terminated: %v", err)
	}
}
