-- +goose Up
-- Times are unix microseconds (INTEGER) except audit_records.recorded_at, which is the
-- exact text the record hash covers (see docs/audit.md).

CREATE TABLE inbox (
    id          TEXT PRIMARY KEY,
    event       TEXT NOT NULL,
    headers     BLOB NOT NULL,
    body        BLOB NOT NULL,
    received_at INTEGER NOT NULL,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  INTEGER NOT NULL DEFAULT 0,
    lease_until INTEGER NOT NULL DEFAULT 0,
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
    at          INTEGER NOT NULL,
    delivery_id TEXT NOT NULL,
    PRIMARY KEY (repo, after_sha, pusher, delivery_id)
);
CREATE INDEX pushes_pr ON pushes (repo, pr);
CREATE INDEX pushes_ref ON pushes (repo, ref);

CREATE TABLE prs (
    repo            TEXT NOT NULL,
    number          INTEGER NOT NULL,
    installation_id INTEGER NOT NULL,
    head_sha        TEXT NOT NULL,
    head_ref        TEXT NOT NULL,
    base_ref        TEXT NOT NULL,
    open            INTEGER NOT NULL,
    last_event_at   INTEGER NOT NULL,
    PRIMARY KEY (repo, number)
);
CREATE INDEX prs_head ON prs (repo, head_sha);

CREATE TABLE check_runs (
    repo        TEXT NOT NULL,
    sha         TEXT NOT NULL,
    name        TEXT NOT NULL,
    id          INTEGER NOT NULL,
    status      TEXT NOT NULL,
    conclusion  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (repo, sha, name)
);

CREATE TABLE checkpoints (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE audit_documents (
    digest TEXT PRIMARY KEY, -- lower-case hex SHA-256 of body
    body   BLOB NOT NULL
);

CREATE TABLE audit_records (
    seq             INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    recorded_at     TEXT NOT NULL,
    kind            TEXT NOT NULL,
    delivery_id     TEXT NOT NULL,
    installation    INTEGER NOT NULL,
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
CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE of audit_records refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE from audit_records refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_documents_no_update BEFORE UPDATE ON audit_documents
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE of audit_documents refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_documents_no_delete BEFORE DELETE ON audit_documents
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE from audit_documents refused'); END;
-- +goose StatementEnd

-- +goose Down
-- The audit log is never rolled back by a migration.
SELECT RAISE(ABORT, 'the foureyes schema cannot be migrated down');
