package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // pure-Go SQLite: the embedded default needs no cgo
)

// DefaultDSN is the embedded store when nothing else is configured.
const DefaultDSN = "./foureyes.db"

var _ OpenFunc = Open

// Open opens the store named by dsn and applies the embedded migrations: a SQLite file
// path ("path", "sqlite://path", "file:path") or a PostgreSQL URL ("postgres://...",
// "postgresql://..."; a search_path parameter selects the schema).
//
// The backend is guessed from the DSN; the server and the audit commands use OpenDriver
// with the configured store.driver instead.
func Open(ctx context.Context, dsn string) (Store, error) {
	s, err := open(ctx, DriverOf(dsn), dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Drivers are the values of store.driver.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DriverOf is the driver a DSN looks like: postgres for a postgres:// or postgresql://
// URL, sqlite for anything else.
func DriverOf(dsn string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return DriverPostgres
	}
	return DriverSQLite
}

// OpenDriver opens the store with the named driver, whatever the DSN looks like: with
// postgres the DSN may also be a libpq key/value string ("host=db dbname=foureyes"),
// with sqlite it is a file path. A PostgreSQL URL given to the sqlite driver is refused
// rather than taken for a file name.
func OpenDriver(ctx context.Context, driver, dsn string) (Store, error) {
	s, err := open(ctx, driver, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// OpenChain is Open for the audit commands, which also need the ChainReader methods.
func OpenChain(ctx context.Context, dsn string) (interface {
	Store
	ChainReader
}, error) {
	return open(ctx, DriverOf(dsn), dsn)
}

// OpenChainDriver is OpenChain with the configured driver; "" guesses it from the DSN.
func OpenChainDriver(ctx context.Context, driver, dsn string) (interface {
	Store
	ChainReader
}, error) {
	if driver == "" {
		driver = DriverOf(dsn)
	}
	return open(ctx, driver, dsn)
}

func open(ctx context.Context, driver, dsn string) (*sqlStore, error) {
	var (
		s   *sqlStore
		err error
	)
	switch driver {
	case DriverPostgres:
		if dsn == "" {
			return nil, fmt.Errorf("open postgres store: empty dsn")
		}
		s, err = openPostgres(ctx, dsn)
	case DriverSQLite, "":
		if dsn == "" {
			dsn = DefaultDSN
		}
		if DriverOf(dsn) == DriverPostgres {
			return nil, fmt.Errorf("open sqlite store: %q is a PostgreSQL URL: set store.driver to postgres", redactDSN(dsn))
		}
		s, err = openSQLite(ctx, dsn)
	default:
		return nil, fmt.Errorf("open store: unknown driver %q (sqlite or postgres)", driver)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		if s.ldb != nil {
			s.ldb.Close()
		}
		if s.wdb != nil {
			s.wdb.Close()
			s.cdb.Close()
		}
		return nil, err
	}
	if s.wdb != nil {
		s.w = newWriter(s.wdb, s.cdb)
	}
	s.holder = rand.Text()
	s.startAppender()
	return s, nil
}

// redactDSN drops a password from a URL DSN before it goes into an error message.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// openSQLite opens a WAL database with full fsync: an acknowledged write survives power
// loss, and readers (audit verify while serve runs) never block the writer.
func openSQLite(ctx context.Context, dsn string) (*sqlStore, error) {
	path := strings.TrimPrefix(dsn, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, fmt.Errorf("open sqlite store: empty path in %q", dsn)
	}
	open := func(readOnly bool, conns int, pragmas ...string) (*sql.DB, error) {
		q := url.Values{}
		for _, p := range pragmas {
			q.Add("_pragma", p)
		}
		q.Add("_pragma", "busy_timeout(30000)")
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(FULL)")
		q.Add("_pragma", "foreign_keys(ON)")
		if readOnly {
			q.Add("_pragma", "query_only(1)")
		}
		// Every write transaction takes the write lock at BEGIN, so two processes
		// reading the chain head cannot both append after it.
		q.Set("_txlock", "immediate")
		db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(conns)
		db.SetMaxIdleConns(conns)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	// One writer connection, opened first so it creates the file and sets WAL mode;
	// every write of this process goes through it (see writer). Readers have a pool of
	// their own and, under WAL, never wait for the writer.
	// The writer does not checkpoint the WAL itself (a checkpoint inside a commit would
	// hold up every write waiting for it); the checkpointer does, on its own connection.
	wdb, err := open(false, 1, "wal_autocheckpoint(0)", "journal_size_limit(67108864)")
	if err != nil {
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	db, err := open(true, 8)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	cdb, err := open(false, 1)
	if err != nil {
		wdb.Close()
		db.Close()
		return nil, fmt.Errorf("open sqlite store %s: %w", path, err)
	}
	return &sqlStore{db: db, wdb: wdb, cdb: cdb, d: sqliteDialect{}, name: path}, nil
}

// openPostgres opens a pgx connection pool through database/sql, so both backends share
// one implementation and differ only in their dialect.
func openPostgres(ctx context.Context, dsn string) (*sqlStore, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: parse dsn: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open postgres store %s@%s/%s: %w", cfg.User, cfg.Host, cfg.Database, err)
	}
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil || !schema.Valid {
		db.Close()
		if err == nil {
			err = fmt.Errorf("no schema of the search_path exists")
		}
		return nil, fmt.Errorf("open postgres store %s/%s: current schema: %w", cfg.Host, cfg.Database, err)
	}
	// Locks wait on sessions of their own, so a burst of waiting evaluations can never
	// take the connections the evaluations themselves need.
	ldb := stdlib.OpenDB(*cfg)
	ldb.SetMaxOpenConns(64)
	ldb.SetMaxIdleConns(8)
	return &sqlStore{db: db, ldb: ldb, d: postgresDialect{}, name: cfg.Database, schema: schema.String}, nil
}
