-- +goose Up
-- fact_key: one record per fact (docs/audit.md, "One record per fact"). '' for records
-- without a key (those appended before this migration). It is not covered by the hash:
-- it is an index that refuses duplicates, derived from fields the hash covers.
ALTER TABLE audit_records ADD COLUMN fact_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX audit_fact_key ON audit_records (fact_key) WHERE fact_key <> '';

-- lease_token: who holds a leased delivery, so only its holder renews the lease.
ALTER TABLE inbox ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';

-- +goose Down
DROP INDEX audit_fact_key;
ALTER TABLE audit_records DROP COLUMN fact_key;
ALTER TABLE inbox DROP COLUMN lease_token;
