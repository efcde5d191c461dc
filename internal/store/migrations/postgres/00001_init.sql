-- +goose Up
-- Times are unix microseconds (BIGINT) except audit_records.recorded_at, which is the
-- exact text the record hash covers (see docs/audit.md). Every object lives in the
-- current schema, so one database can hold several independent stores (tests do).

CREATE TABLE inbox (
    id          TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    headers     BYTEA NOT NULL,
    body        BYTEA NOT NULL,
    received_at BIGINT NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_error  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX inbox_due ON inbox (status, not_before, received_at);

CREATE TABLE pushes (
    repo        TEXT NOT NULL,
    ref         TEXT NOT NULL,
    pr          INTEGER NOT NULL,
    before_sha  TEXT NOT NULL,
    after_sha   TEXT NOT NULL,
    pusher      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (repo, after_sha, pusher, delivery_id)
);
CREATE INDEX pushes_pr ON pushes (repo, pr);
CREATE INDEX pushes_ref ON pushes (repo, ref);

CREATE TABLE prs (
    repo            TEXT NOT NULL,
    number          INTEGER NOT NULL,
    installation_id BIGINT NOT NULL,
    head_sha        TEXT NOT NULL,
    head_ref        TEXT NOT NULL,
    base_ref        TEXT NOT NULL,
    open            BOOLEAN NOT NULL,
    last_event_at   BIGINT NOT NULL,
    PRIMARY KEY (repo, number)
);
CREATE INDEX prs_head ON prs (repo, head_sha);

CREATE TABLE check_runs (
    repo        TEXT NOT NULL,
    sha         TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          BIGINT NOT NULL,
    status      TEXT NOT NULL,
    conclusion  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    PRIMARY KEY (repo, sha, name)
);

CREATE TABLE checkpoints (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_documents (
    digest TEXT PRIMARY KEY, -- lower-case hex SHA-256 of body
    body   BYTEA NOT NULL
);

CREATE TABLE audit_records (
    seq             BIGINT PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    recorded_at     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    installation    BIGINT NOT NULL,
    repository      TEXT NOT NULL,
    pr              INTEGER NOT NULL,
    sha             TEXT NOT NULL,
    subject         TEXT NOT NULL,
    actor           TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    policy_digest   TEXT NOT NULL,
    policy_repo     TEXT NOT NULL,
    policy_path     TEXT NOT NULL,
    policy_ref      TEXT NOT NULL,
    policy_blob_sha TEXT NOT NULL,
    facts_digest    TEXT NOT NULL,
    decision_digest TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX audit_repo_pr ON audit_records (repository, pr);
CREATE INDEX audit_repo_sha ON audit_records (repository, sha);
CREATE INDEX audit_sha ON audit_records (sha);
CREATE INDEX audit_subject ON audit_records (subject);
CREATE INDEX audit_kind ON audit_records (kind);
CREATE INDEX audit_recorded_at ON audit_records (recorded_at);

-- The audit log is append-only: nothing may change or remove a record or a document.
-- +goose StatementBegin
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd
CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_documents_append_only BEFORE UPDATE OR DELETE ON audit_documents
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_documents_no_truncate BEFORE TRUNCATE ON audit_documents
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- foureyes_app is the role a `foureyes serve` login should be granted instead of owning
-- the tables: on the audit tables it may only INSERT and SELECT, so even with the
-- triggers dropped by an owner, the application's credentials cannot rewrite history.
-- Roles are cluster-wide; the guard keeps this migration re-runnable in every schema,
-- including when two schemas migrate at once.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'foureyes_app') THEN
        BEGIN
            CREATE ROLE foureyes_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created concurrently by another schema's migration
        END;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO foureyes_app', current_schema());
END
$$;
-- +goose StatementEnd
GRANT SELECT, INSERT ON audit_records, audit_documents TO foureyes_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON inbox, pushes, prs, check_runs, checkpoints TO foureyes_app;

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN RAISE EXCEPTION 'the foureyes schema cannot be migrated down'; END $$;
-- +goose StatementEnd
