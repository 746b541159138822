-- Taskbound store, version 4: revocation publishing. Same rules as V1 (plain types, BIGINT epoch milliseconds).

-- The CRL lists revoked, unexpired X.509-SVIDs; this keeps that query off a scan of every credential ever issued.
CREATE INDEX credentials_revoked_by_kind_expiry ON credentials (kind, expires_at) WHERE revoked_at IS NOT NULL;

-- Shared Signals push deliveries (RFC 8935) waiting to be sent or retried. The SET is stored signed, so a retry
-- (from any replica, or after a restart) sends the very same token and receivers can deduplicate by jti.
-- next_attempt_at doubles as a lease: a sender moves it forward before sending, so one replica sends at a time.
CREATE TABLE ssf_deliveries (
    delivery_id     TEXT    NOT NULL PRIMARY KEY,
    receiver_url    TEXT    NOT NULL,
    task_id         TEXT    NOT NULL,
    set_jwt         TEXT    NOT NULL,
    state           TEXT    NOT NULL CHECK (state IN ('pending', 'failed')),
    attempts        INTEGER NOT NULL,
    created_at      BIGINT  NOT NULL,
    next_attempt_at BIGINT  NOT NULL,
    last_error      TEXT
);
CREATE INDEX ssf_deliveries_due ON ssf_deliveries (state, next_attempt_at);
