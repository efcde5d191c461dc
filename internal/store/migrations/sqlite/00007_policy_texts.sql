-- +goose Up
-- The exact policy inputs (files as read, with their Rego modules) of every decision, once
-- per policy digest, so `foureyes audit evidence verify` can re-perform each recorded
-- decision from its facts and its policy (docs/audit.md, "Re-performance"). Append-only
-- like the audit log; a text that does not assemble to its digest is reported by verify.
CREATE TABLE policy_texts (
    digest TEXT PRIMARY KEY, -- the decision's recorded policy_digest
    body   BLOB NOT NULL     -- a policy.PolicyInputs document (JSON)
);
-- +goose StatementBegin
CREATE TRIGGER policy_texts_no_update BEFORE UPDATE ON policy_texts
BEGIN SELECT RAISE(ABORT, 'policy texts are append-only: UPDATE refused'); END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER policy_texts_no_delete BEFORE DELETE ON policy_texts
BEGIN SELECT RAISE(ABORT, 'policy texts are append-only: DELETE refused'); END;
-- +goose StatementEnd

-- +goose Down
SELECT RAISE(ABORT, 'the foureyes schema cannot be migrated down');
