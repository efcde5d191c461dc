package store

import (
	"context"
	"embed"
	"fmt"
	"hash/fnv"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds one directory of goose SQL migrations per dialect; they ship inside
// the binary and run at Open, so a store is always at the schema its code expects.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrations embed.FS

func (s *sqlStore) migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+s.d.name())
	if err != nil {
		return fmt.Errorf("migrate %s store: %w", s.d.name(), err)
	}
	dialect := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.d.name() == "postgres" {
		dialect = goose.DialectPostgres
		// Replicas starting together take turns; the lock id is per schema so
		// independent stores in one database (tests) do not wait for each other.
		h := fnv.New64a()
		h.Write([]byte("foureyes.migrate." + s.schema))
		locker, err := lock.NewPostgresSessionLocker(
			lock.WithLockID(int64(h.Sum64()>>1)),
			lock.WithLockTimeout(1, 300),
		)
		if err != nil {
			return fmt.Errorf("migrate postgres store: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	db := s.db
	if s.wdb != nil {
		db = s.wdb // SQLite readers are query-only
	}
	p, err := goose.NewProvider(dialect, db, sub, opts...)
	if err != nil {
		return fmt.Errorf("migrate %s store: %w", s.d.name(), err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s store %s: %w", s.d.name(), s.name, err)
	}
	return nil
}
