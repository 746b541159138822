-- Taskbound store, version 7: approval gates (issue 16). Same rules as V1 (plain types, BIGINT epoch milliseconds).

-- A begin under a rule with `approval:` waiting for approvers. The attestation was spent when the request was made;
-- everything the task needs later (the decision, the task key, the requested audiences and TTL) is kept here, so
-- approval issues the task exactly as the begin would have. task_id is reserved at request time: the approval
-- evidence and the task's share one bundle. Only the SHA-256 of the caller's request token is stored.
CREATE TABLE approval_requests (
    approval_id               TEXT    NOT NULL PRIMARY KEY,
    task_id                   TEXT    NOT NULL UNIQUE,
    state                     TEXT    NOT NULL
        CHECK (state IN ('pending', 'approved', 'denied', 'expired', 'withdrawn', 'issued')),
    approvers                 TEXT    NOT NULL,
    min_approvers             INTEGER NOT NULL,
    requester                 TEXT,
    request_token_sha256      TEXT    NOT NULL,
    attestor                  TEXT    NOT NULL,
    attestation_sha256        TEXT    NOT NULL,
    context_json              TEXT    NOT NULL,
    public_key_jwk            TEXT    NOT NULL,
    public_key_thumbprint     TEXT    NOT NULL,
    audiences_json            TEXT    NOT NULL,
    requested_ttl_ms          BIGINT,
    spiffe_id                 TEXT    NOT NULL,
    policy_rule               TEXT    NOT NULL,
    policy_version            TEXT,
    ttl_cap_ms                BIGINT,
    downstream_audiences_json TEXT    NOT NULL,
    max_exchanges             INTEGER,
    created_at                BIGINT  NOT NULL,
    expires_at                BIGINT  NOT NULL,
    decided_at                BIGINT,
    decided_by                TEXT,
    reason                    TEXT,
    -- 1 when an operator command changed the request (it has no evidence writer): the running issuer logs the
    -- change and clears this.
    evidence_pending          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approval_requests_by_state ON approval_requests (state, created_at);

-- One row per approver of a request: the primary key makes two approvals by one person count once.
CREATE TABLE approval_grants (
    approval_id TEXT   NOT NULL REFERENCES approval_requests (approval_id),
    approver    TEXT   NOT NULL,
    granted_at  BIGINT NOT NULL,
    PRIMARY KEY (approval_id, approver)
);
