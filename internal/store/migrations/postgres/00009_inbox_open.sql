-- +goose Up
-- The index Claim drains the inbox by (docs/performance.md, "Memory over time"). Claim
-- takes the OLDEST due deliveries: ORDER BY received_at, id among the pending and leased
-- ones. inbox_due (status, not_before, received_at) could not give that order across its
-- two status ranges, so every claim read and sorted the whole backlog: ~30 ms per claim
-- with 100,000 deliveries waiting. inbox_open holds only the deliveries not settled yet (a
-- done or failed one leaves it, so it does not grow with history), in claim order, with
-- the columns the due test reads: a claim reads the first entries (FOR UPDATE SKIP LOCKED
-- skips those another replica is claiming), passing over only the few leased by live
-- replicas or waiting for a retry. inbox_due had no other user and is dropped, as in the
-- SQLite schema.
CREATE INDEX inbox_open ON inbox (received_at, id, status, not_before, lease_until)
    WHERE status IN ('pending', 'leased');
DROP INDEX inbox_due;

-- +goose Down
CREATE INDEX inbox_due ON inbox (status, not_before, received_at);
DROP INDEX inbox_open;
