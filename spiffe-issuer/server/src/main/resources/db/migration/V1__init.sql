-- Taskbound store, version 1. Runs unchanged on SQLite and PostgreSQL: plain types only, times are BIGINT epoch
-- milliseconds, lists and maps are JSON in TEXT, enum values are stored lower-case.

CREATE TABLE tasks (
    task_id               TEXT    NOT NULL PRIMARY KEY,
    state                 TEXT    NOT NULL CHECK (state IN ('active', 'ended')),
    spiffe_id             TEXT    NOT NULL,
    attestor              TEXT    NOT NULL,
    context_json          TEXT    NOT NULL,
    policy_rule           TEXT,
    policy_version        TEXT,
    public_key_jwk        TEXT    NOT NULL,
    public_key_thumbprint TEXT    NOT NULL,
    control_token_sha256  TEXT    NOT NULL,
    audiences_json        TEXT    NOT NULL,
    created_at            BIGINT  NOT NULL,
    expires_at            BIGINT  NOT NULL,
    last_renewed_at       BIGINT,
    ended_at              BIGINT,
    outcome               TEXT,
    end_reason            TEXT,
    -- an ended task always says when and how it ended; an active one never does
    CHECK ((state = 'active' AND ended_at IS NULL AND outcome IS NULL)
        OR (state = 'ended' AND ended_at IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX tasks_by_state_created ON tasks (state, created_at);
CREATE INDEX tasks_by_created ON tasks (created_at);

CREATE TABLE credentials (
    task_id       TEXT    NOT NULL REFERENCES tasks (task_id),
    -- position in issue order within the task (1, 2, ...); assigned by the store while it holds the task row
    issue_order   INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('x509-svid', 'jwt-svid', 'downstream-token')),
    credential_id TEXT    NOT NULL,
    audience      TEXT,
    not_before    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    revoked_at    BIGINT,
    PRIMARY KEY (task_id, issue_order)
);
CREATE UNIQUE INDEX credentials_by_credential_id ON credentials (credential_id, kind);

CREATE TABLE bundle_keys (
    kid             TEXT   NOT NULL PRIMARY KEY,
    key_use         TEXT   NOT NULL CHECK (key_use IN ('x509-svid', 'jwt-svid')),
    alg             TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('prepared', 'active', 'retired')),
    public_material TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    activated_at    BIGINT,
    retired_at      BIGINT,
    not_after       BIGINT,
    remove_after    BIGINT
);

-- exactly one row: the trust bundle's spiffe_sequence
CREATE TABLE bundle_sequence (
    id              INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    sequence_number BIGINT  NOT NULL
);
INSERT INTO bundle_sequence (id, sequence_number) VALUES (1, 0);

-- one-time tokens by SHA-256 (hex); the tokens themselves are never stored
CREATE TABLE one_time_tokens (
    token_sha256 TEXT   NOT NULL PRIMARY KEY,
    purpose      TEXT   NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX one_time_tokens_by_expiry ON one_time_tokens (expires_at);

-- replay cache for attestation tokens; rows past expires_at are dead and may be pruned
CREATE TABLE seen_jtis (
    issuer     TEXT   NOT NULL,
    jti        TEXT   NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (issuer, jti)
);
CREATE INDEX seen_jtis_by_expiry ON seen_jtis (expires_at);

CREATE TABLE controllers (
    name          TEXT   NOT NULL PRIMARY KEY,
    jwks_json     TEXT,
    jwks_url      TEXT,
    registered_at BIGINT NOT NULL,
    CHECK ((jwks_json IS NULL AND jwks_url IS NOT NULL) OR (jwks_json IS NOT NULL AND jwks_url IS NULL))
);
