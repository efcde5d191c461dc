-- +goose Up
-- Signatures make the chain depend on a key only the app holds (docs/audit.md,
-- "Signatures"): the app signs the last record of every commit; through the chain that
-- signature covers every record before it. A script that INSERTs a record with a
-- correct SHA-256 chain cannot sign it, so audit verify reports it.
-- PostgreSQL has no INSERT OR REPLACE: its ON CONFLICT DO UPDATE fires the UPDATE
-- trigger of 00001, which refuses it.
CREATE TABLE audit_signatures (
    seq        BIGINT PRIMARY KEY, -- the record signed
    hash       TEXT NOT NULL,      -- its hash, as signed
    public_key TEXT NOT NULL,      -- base64 of the 32-byte Ed25519 public key
    signature  TEXT NOT NULL       -- base64 Ed25519 signature of the record message
);
CREATE TRIGGER audit_signatures_append_only BEFORE UPDATE OR DELETE ON audit_signatures
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_signatures_no_truncate BEFORE TRUNCATE ON audit_signatures
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
GRANT SELECT, INSERT ON audit_signatures TO foureyes_app;

-- The records appended before signing existed: the first signed commit adopts them,
-- and nothing after them. On a new store this is 0, so a record a script INSERTs before
-- the app's first append is never adopted. Append-only: a second row can only lower MIN.
CREATE TABLE audit_unsigned_prefix (seq BIGINT NOT NULL);
INSERT INTO audit_unsigned_prefix (seq) SELECT COALESCE(MAX(seq), 0) FROM audit_records;
CREATE TRIGGER audit_unsigned_prefix_append_only BEFORE UPDATE OR DELETE ON audit_unsigned_prefix
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_unsigned_prefix_no_truncate BEFORE TRUNCATE ON audit_unsigned_prefix
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
GRANT SELECT ON audit_unsigned_prefix TO foureyes_app;

-- Pushes are read from the chain (kind push, subject "ref:<branch>").
CREATE INDEX audit_kind_repo_subject ON audit_records (kind, repository, subject);

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN RAISE EXCEPTION 'the foureyes schema cannot be migrated down'; END $$;
-- +goose StatementEnd
