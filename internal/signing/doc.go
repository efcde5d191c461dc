// Package signing holds the Ed25519 key that makes the audit log's integrity depend on
// something only the foureyes app holds. A SHA-256 chain alone proves nothing against
// whoever can INSERT into the database: they can compute the next hash as well as the app.
// A signature over the chain head cannot be computed without the private key, which lives
// in a file next to the app's GitHub credentials, never in the database and never in a log.
//
// The package loads or creates that key, publishes its public half (PEM, as
// `foureyes audit pubkey` prints it and export manifests carry it), and defines the exact
// bytes that are signed: a record of the chain (store) and a checkpoint of the head
// written outside the database (audit). docs/audit.md specifies both for auditors.
package signing
