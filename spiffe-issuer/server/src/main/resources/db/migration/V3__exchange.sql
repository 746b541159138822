-- Token exchange ([3/7]): what the policy decision allowed a task to exchange for, the downstream signing keys
-- (published at /jwks, apart from the SPIFFE bundle), and an index for loading recent revocations.

-- one row per task begun since this migration: the decision's downstream audiences and exchange limit
CREATE TABLE task_exchange_grants (
    task_id        TEXT    NOT NULL PRIMARY KEY REFERENCES tasks (task_id),
    audiences_json TEXT    NOT NULL,
    -- null: no limit (dev policy only)
    max_exchanges  INTEGER CHECK (max_exchanges IS NULL OR max_exchanges >= 0),
    exchanges      INTEGER NOT NULL DEFAULT 0 CHECK (exchanges >= 0)
);

-- same shape as bundle_keys; kept apart so downstream key rotation never bumps spiffe_sequence
CREATE TABLE downstream_keys (
    kid             TEXT   NOT NULL PRIMARY KEY,
    key_use         TEXT   NOT NULL CHECK (key_use IN ('downstream-es256', 'downstream-rs256')),
    alg             TEXT   NOT NULL,
    state           TEXT   NOT NULL CHECK (state IN ('prepared', 'active', 'retired')),
    public_material TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,
    activated_at    BIGINT,
    retired_at      BIGINT,
    not_after       BIGINT,
    remove_after    BIGINT
);

CREATE INDEX credentials_by_revoked_at ON credentials (revoked_at);
