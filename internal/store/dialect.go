package store

import (
	"strconv"
	"strings"
)

// dialect is what differs between SQLite and PostgreSQL once both speak database/sql.
// Queries are written with "?" placeholders and rebound for PostgreSQL.
type dialect interface {
	name() string
	rebind(q string) string
	// lockRows is appended to a SELECT that picks rows to update (claimers skip rows
	// another transaction holds).
	lockRows() string
	// lockChain is run first in an append transaction to serialise appenders across
	// processes; "" when the transaction itself already does (SQLite BEGIN IMMEDIATE).
	lockChain() string
	// insertDocs is the head and tail of the multi-row INSERT of audit documents that
	// skips a document already stored.
	insertDocs() (head, tail string)
}

type sqliteDialect struct{}

func (sqliteDialect) name() string           { return "sqlite" }
func (sqliteDialect) rebind(q string) string { return q }
func (sqliteDialect) lockRows() string       { return "" }
func (sqliteDialect) lockChain() string      { return "" }

// insertDocs filters out stored documents before inserting: the guard trigger against
// INSERT OR REPLACE (migration 00002) refuses any INSERT of an existing digest, even one
// ON CONFLICT DO NOTHING would skip, because BEFORE INSERT triggers run first.
func (sqliteDialect) insertDocs() (string, string) {
	return `INSERT INTO audit_documents (digest, body) SELECT column1, column2 FROM (VALUES `,
		`) WHERE NOT EXISTS (SELECT 1 FROM audit_documents x WHERE x.digest = column1)`
}

type postgresDialect struct{}

func (postgresDialect) name() string     { return "postgres" }
func (postgresDialect) lockRows() string { return " FOR UPDATE SKIP LOCKED" }

func (postgresDialect) insertDocs() (string, string) {
	return `INSERT INTO audit_documents (digest, body) VALUES `, ` ON CONFLICT (digest) DO NOTHING`
}

// lockChain takes a transaction-scoped advisory lock keyed by the schema, so appenders
// of one chain queue up while stores in other schemas do not contend.
func (postgresDialect) lockChain() string {
	return "SELECT pg_advisory_xact_lock(hashtext('foureyes.audit.' || current_schema()))"
}

// rebind turns the n-th "?" into "$n". Our queries hold no "?" inside string literals.
func (postgresDialect) rebind(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}
