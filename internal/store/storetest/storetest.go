// Package storetest gives tests a fresh store on every backend: a SQLite file in a temp
// dir, and a PostgreSQL schema of its own in the server named by
// FOUREYES_TEST_POSTGRES_DSN (see scripts/pg-start.sh). Without that variable the
// PostgreSQL cases skip, except under CI=true, where they fail: CI must test both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // raw access to the SQLite file
)

// EnvPostgresDSN names the PostgreSQL server the tests use.
const EnvPostgresDSN = "FOUREYES_TEST_POSTGRES_DSN"

// Backend is one fresh, empty store location.
type Backend struct {
	Name string // "sqlite" or "postgres"
	DSN  string // for store.Open
}

// Names lists the backends in test order.
var Names = []string{"sqlite", "postgres"}

// New returns a fresh location on the named backend, removed when t ends.
func New(t testing.TB, name string) Backend {
	t.Helper()
	switch name {
	case "sqlite":
		return Backend{Name: name, DSN: filepath.Join(t.TempDir(), "foureyes.db")}
	case "postgres":
		base := os.Getenv(EnvPostgresDSN)
		if base == "" {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not set: CI must run the PostgreSQL tests (start one with scripts/pg-start.sh)", EnvPostgresDSN)
			}
			t.Skipf("%s is not set; start a server with: eval \"$(scripts/pg-start.sh)\"", EnvPostgresDSN)
		}
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "t_" + hex.EncodeToString(b[:])
		db := openPG(t, base)
		defer db.Close()
		if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
			t.Fatalf("create schema %s: %v", schema, err)
		}
		t.Cleanup(func() {
			db := openPG(t, base)
			defer db.Close()
			if _, err := db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
				t.Errorf("drop schema %s: %v", schema, err)
			}
		})
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("parse %s: %v", EnvPostgresDSN, err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return Backend{Name: name, DSN: u.String()}
	}
	t.Fatalf("unknown backend %q", name)
	return Backend{}
}

// Each runs fn as a subtest on a fresh location of every backend.
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	for _, name := range Names {
		t.Run(name, func(t *testing.T) { fn(t, New(t, name)) })
	}
}

func openPG(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse postgres dsn: %v", err)
	}
	return stdlib.OpenDB(*cfg)
}

// Raw opens the backend's database directly, bypassing the store, to tamper with it.
func (b Backend) Raw(t testing.TB) *sql.DB {
	t.Helper()
	var db *sql.DB
	if b.Name == "postgres" {
		db = openPG(t, b.DSN)
	} else {
		var err error
		if db, err = sql.Open("sqlite", "file:"+b.DSN+"?_pragma=busy_timeout(10000)"); err != nil {
			t.Fatalf("open %s: %v", b.DSN, err)
		}
	}
	db.SetMaxOpenConns(1) // one session, so a dropped trigger or SET stays in effect
	t.Cleanup(func() { db.Close() })
	return db
}

// Exec runs statements on the raw database ("?" placeholders are SQLite's; PostgreSQL
// statements here take none).
func (b Backend) Exec(t testing.TB, stmts ...string) {
	t.Helper()
	db := b.Raw(t)
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %s: %v", b.Name, s, err)
		}
	}
}

// DropAppendOnly removes the triggers that refuse UPDATE and DELETE on the audit tables,
// as an attacker with owner rights could, so tamper tests can change history.
func (b Backend) DropAppendOnly(t testing.TB) {
	t.Helper()
	if b.Name == "postgres" {
		b.Exec(t,
			`DROP TRIGGER audit_records_append_only ON audit_records`,
			`DROP TRIGGER audit_documents_append_only ON audit_documents`,
			`DROP TRIGGER audit_signatures_append_only ON audit_signatures`,
			`DROP TRIGGER audit_unsigned_prefix_append_only ON audit_unsigned_prefix`)
		return
	}
	b.Exec(t,
		`DROP TRIGGER audit_records_no_update`, `DROP TRIGGER audit_records_no_delete`,
		`DROP TRIGGER audit_documents_no_update`, `DROP TRIGGER audit_documents_no_delete`,
		`DROP TRIGGER audit_signatures_no_update`, `DROP TRIGGER audit_signatures_no_delete`,
		`DROP TRIGGER audit_unsigned_prefix_no_update`, `DROP TRIGGER audit_unsigned_prefix_no_delete`)
}
