-- +goose Up
-- Signatures make the chain depend on a key only the app holds (docs/audit.md,
-- "Signatures"): the app signs the last record of every commit; through the chain that
-- signature covers every record before it. A script that INSERTs a record with a
-- correct SHA-256 chain cannot sign it, so audit verify reports it.
CREATE TABLE audit_signatures (
    seq        INTEGER PRIMARY KEY, -- the record signed
    hash       TEXT NOT NULL,       -- its hash, as signed
    public_key TEXT NOT NULL,       -- base64 of the 32-byte Ed25519 public key
    signature  TEXT NOT NULL        -- base64 Ed25519 signature of the record message
);

-- +goose StatementBegin
CREATE TRIGGER audit_signatures_no_update BEFORE UPDATE ON audit_signatures
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE of audit_signatures refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_signatures_no_delete BEFORE DELETE ON audit_signatures
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE from audit_signatures refused'); END;
-- +goose StatementEnd

-- INSERT OR REPLACE deletes the row in the way without firing DELETE triggers (unless
-- the connection set recursive_triggers, which an attacker's connection would not). A
-- BEFORE INSERT trigger runs before the conflict is resolved, whatever the connection:
-- inserting over an existing record, document or signature is refused.
-- Every unique key of audit_records is checked, fact_key (added by 00003, which always
-- runs with this one: SQLite binds the trigger's column names when it fires) included: a
-- REPLACE on a taken fact_key would delete that record.
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_replace BEFORE INSERT ON audit_records
WHEN EXISTS (SELECT 1 FROM audit_records WHERE seq = NEW.seq OR id = NEW.id OR (NEW.fact_key <> '' AND fact_key = NEW.fact_key))
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: INSERT over an existing audit record refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_documents_no_replace BEFORE INSERT ON audit_documents
WHEN EXISTS (SELECT 1 FROM audit_documents WHERE digest = NEW.digest)
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: INSERT over an existing audit document refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_signatures_no_replace BEFORE INSERT ON audit_signatures
WHEN EXISTS (SELECT 1 FROM audit_signatures WHERE seq = NEW.seq)
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: INSERT over an existing audit signature refused'); END;
-- +goose StatementEnd

-- The records appended before signing existed: the first signed commit adopts them,
-- and nothing after them. On a new store this is 0, so a record a script INSERTs before
-- the app's first append is never adopted. Append-only: a second row can only lower MIN.
CREATE TABLE audit_unsigned_prefix (seq INTEGER NOT NULL);
INSERT INTO audit_unsigned_prefix (seq) SELECT COALESCE(MAX(seq), 0) FROM audit_records;
-- +goose StatementBegin
CREATE TRIGGER audit_unsigned_prefix_no_update BEFORE UPDATE ON audit_unsigned_prefix
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE of audit_unsigned_prefix refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_unsigned_prefix_no_delete BEFORE DELETE ON audit_unsigned_prefix
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE from audit_unsigned_prefix refused'); END;
-- +goose StatementEnd

-- Pushes are read from the chain (kind push, subject "ref:<branch>").
CREATE INDEX audit_kind_repo_subject ON audit_records (kind, repository, subject);

-- +goose Down
SELECT RAISE(ABORT, 'the foureyes schema cannot be migrated down');
