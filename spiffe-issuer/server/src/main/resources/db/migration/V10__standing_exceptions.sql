-- Taskbound store, version 10: the standing-privilege exception register (issue 16). Same rules as V1 (plain types,
-- BIGINT epoch milliseconds); runs unchanged on SQLite and PostgreSQL.

-- A standing privilege the organisation still has (a deploy key nobody has migrated yet, a break-glass account):
-- what it is, what it may do, who answers for it, why, and until when. Never deleted: a revoked exception stays as
-- the record of when and why it ended. Every change increments version; *_signalled_at remember that the Shared
-- Signals event for "expired" / "went unreviewed" was queued, so it is queued once (a review clears the latter).
CREATE TABLE standing_exceptions (
    exception_id            TEXT    NOT NULL PRIMARY KEY,
    identity                TEXT    NOT NULL,
    scope                   TEXT    NOT NULL,
    owner                   TEXT    NOT NULL,
    reason                  TEXT    NOT NULL,
    created_at              BIGINT  NOT NULL,
    created_by              TEXT    NOT NULL,
    created_by_issuer       TEXT    NOT NULL,
    expires_at              BIGINT  NOT NULL,
    last_reviewed_at        BIGINT,
    last_reviewed_by        TEXT,
    last_reviewed_by_issuer TEXT,
    last_review_note        TEXT,
    revoked_at              BIGINT,
    revoked_by              TEXT,
    revoked_by_issuer       TEXT,
    revoke_reason           TEXT,
    version                 INTEGER NOT NULL,
    expired_signalled_at    BIGINT,
    unreviewed_signalled_at BIGINT,
    CHECK (expires_at > created_at),
    CHECK ((revoked_at IS NULL AND revoked_by IS NULL) OR (revoked_at IS NOT NULL AND revoked_by IS NOT NULL))
);
CREATE INDEX standing_exceptions_by_created ON standing_exceptions (created_at);

-- Every review (version: the exception's version it made), so the state of an exception at any past instant (the
-- audit report's period) can be told: when it was last reviewed then, and which expiry it had.
CREATE TABLE standing_exception_reviews (
    exception_id        TEXT    NOT NULL REFERENCES standing_exceptions (exception_id),
    version             INTEGER NOT NULL,
    reviewed_at         BIGINT  NOT NULL,
    reviewed_by         TEXT    NOT NULL,
    reviewed_by_issuer  TEXT    NOT NULL,
    note                TEXT,
    previous_expires_at BIGINT  NOT NULL,
    expires_at          BIGINT  NOT NULL,
    PRIMARY KEY (exception_id, version)
);

-- Evidence of changes made by operator commands, which have no evidence writer: the canonical entry, written in the
-- change's transaction. The running issuer appends each to the log and deletes its row in one transaction, so each
-- is logged exactly once, whichever replica takes it.
CREATE TABLE standing_exception_evidence (
    exception_id TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    event_type   TEXT    NOT NULL,
    entry        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (exception_id, version)
);
