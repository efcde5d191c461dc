-- +goose Up
-- The exact policy inputs (files as read, with their Rego modules) of every decision, once
-- per policy digest, so `foureyes audit evidence verify` can re-perform each recorded
-- decision from its facts and its policy (docs/audit.md, "Re-performance"). Append-only
-- like the audit log; a text that does not assemble to its digest is reported by verify.
CREATE TABLE policy_texts (
    digest TEXT PRIMARY KEY, -- the decision's recorded policy_digest
    body   BYTEA NOT NULL    -- a policy.PolicyInputs document (JSON)
);
CREATE TRIGGER policy_texts_append_only BEFORE UPDATE OR DELETE ON policy_texts
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER policy_texts_no_truncate BEFORE TRUNCATE ON policy_texts
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
GRANT SELECT, INSERT ON policy_texts TO foureyes_app;

-- +goose Down
-- +goose StatementBegin
DO $$ BEGIN RAISE EXCEPTION 'the foureyes schema cannot be migrated down'; END $$;
-- +goose StatementEnd
