-- +goose Up
-- The compliance console (issue #10): server-side sessions, pending GitHub logins, and
-- what makes its pages fast on a big log: a daily summary of the audit records and a
-- table of exceptions, both kept by triggers in the transaction of the append, plus
-- indexes for the population's filters. The summaries are derived data (rebuildable
-- from audit_records), never evidence: the chain alone is.

-- A console session. The cookie holds a random token; only its SHA-256 is stored, so a
-- copy of the database opens no session. No GitHub token is ever kept.
CREATE TABLE console_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    login       TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    checked_at  INTEGER NOT NULL, -- when the access below was last read from GitHub
    access      BLOB NOT NULL     -- role and scope (JSON) found then
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- A login under way: the OAuth state (hashed) and the PKCE verifier, used once.
CREATE TABLE console_logins (
    state_hash TEXT PRIMARY KEY,
    verifier   TEXT NOT NULL,
    return_to  TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- Records per repository, UTC day, kind and outcome; no_policy marks PR decisions taken
-- without any policy (the repository has none).
CREATE TABLE audit_daily (
    repository TEXT NOT NULL,
    day        TEXT NOT NULL, -- YYYY-MM-DD of recorded_at
    kind       TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    no_policy  INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (repository, day, kind, outcome, no_policy)
);
-- Covering, by day first: a period is a range of days over every repository in scope.
CREATE INDEX audit_daily_day ON audit_daily (day, kind, repository, outcome, no_policy, n);
CREATE INDEX audit_daily_kind ON audit_daily (kind, day, repository, outcome, no_policy, n);

-- Exceptions: merges without a passing decision (the violation record), deployments
-- foureyes rejected, and deployments that went ahead on a SHA foureyes had rejected
-- and never approved (bypassed).
CREATE TABLE audit_exceptions (
    seq         INTEGER PRIMARY KEY,
    repository  TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    exception   TEXT NOT NULL, -- violation, rejected, bypassed
    notes       INTEGER NOT NULL DEFAULT 0 -- review notes on it (kept by the trigger)
);
CREATE INDEX audit_exceptions_at ON audit_exceptions (recorded_at, repository, notes);

CREATE INDEX audit_repo_seq ON audit_records (repository, seq);
CREATE INDEX audit_actor_seq ON audit_records (actor, seq);
CREATE INDEX audit_kind_outcome ON audit_records (kind, outcome, seq);
-- (recorded_at, seq) is audit_recorded_at itself here: a SQLite index ends in the rowid, seq.

-- +goose StatementBegin
CREATE TRIGGER audit_daily_count AFTER INSERT ON audit_records
BEGIN
    INSERT INTO audit_daily (repository, day, kind, outcome, no_policy, n)
    VALUES (NEW.repository, substr(NEW.recorded_at, 1, 10), NEW.kind, NEW.outcome,
            NEW.kind = 'pr_decision' AND NEW.policy_digest = '' AND NEW.outcome <> 'error', 1)
    ON CONFLICT (repository, day, kind, outcome, no_policy) DO UPDATE SET n = n + 1;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_exceptions_add AFTER INSERT ON audit_records
WHEN NEW.kind = 'violation'
  OR (NEW.kind = 'deployment_decision' AND NEW.outcome = 'rejected')
  OR (NEW.kind = 'deployment_event' AND NEW.outcome = 'success')
BEGIN
    INSERT INTO audit_exceptions (seq, repository, recorded_at, exception)
    SELECT NEW.seq, NEW.repository, NEW.recorded_at,
           CASE NEW.kind WHEN 'violation' THEN 'violation' WHEN 'deployment_decision' THEN 'rejected' ELSE 'bypassed' END
    WHERE NEW.kind <> 'deployment_event'
       OR (EXISTS (SELECT 1 FROM audit_records d WHERE d.repository = NEW.repository AND d.sha = NEW.sha
                   AND d.kind = 'deployment_decision' AND d.outcome = 'rejected')
           AND NOT EXISTS (SELECT 1 FROM audit_records d WHERE d.repository = NEW.repository AND d.sha = NEW.sha
                   AND d.kind = 'deployment_decision' AND d.outcome = 'approved'));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_exceptions_noted AFTER INSERT ON audit_records
WHEN NEW.kind = 'review_note' AND NEW.subject GLOB 'seq:[0-9]*'
BEGIN
    UPDATE audit_exceptions SET notes = notes + 1 WHERE seq = CAST(substr(NEW.subject, 5) AS INTEGER);
END;
-- +goose StatementEnd

INSERT INTO audit_daily (repository, day, kind, outcome, no_policy, n)
SELECT repository, substr(recorded_at, 1, 10), kind, outcome,
       kind = 'pr_decision' AND policy_digest = '' AND outcome <> 'error', count(*)
FROM audit_records GROUP BY 1, 2, 3, 4, 5;

INSERT INTO audit_exceptions (seq, repository, recorded_at, exception)
SELECT seq, repository, recorded_at, CASE kind WHEN 'violation' THEN 'violation' ELSE 'rejected' END
FROM audit_records r
WHERE kind = 'violation' OR (kind = 'deployment_decision' AND outcome = 'rejected');

INSERT INTO audit_exceptions (seq, repository, recorded_at, exception)
SELECT seq, repository, recorded_at, 'bypassed' FROM audit_records r
WHERE kind = 'deployment_event' AND outcome = 'success'
  AND EXISTS (SELECT 1 FROM audit_records d WHERE d.repository = r.repository AND d.sha = r.sha
              AND d.kind = 'deployment_decision' AND d.outcome = 'rejected' AND d.seq < r.seq)
  AND NOT EXISTS (SELECT 1 FROM audit_records d WHERE d.repository = r.repository AND d.sha = r.sha
              AND d.kind = 'deployment_decision' AND d.outcome = 'approved' AND d.seq < r.seq);

UPDATE audit_exceptions SET notes = (SELECT COUNT(*) FROM audit_records n
    WHERE n.kind = 'review_note' AND n.subject = 'seq:' || audit_exceptions.seq);

-- +goose Down
SELECT RAISE(ABORT, 'the foureyes schema cannot be migrated down');
