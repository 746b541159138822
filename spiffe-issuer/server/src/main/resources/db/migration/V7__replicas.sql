-- Taskbound store, version 7: what several replicas on one database share. Same rules as V1 (plain types, BIGINT
-- epoch milliseconds). V8 (per database: db/postgresql, db/sqlite) adds the triggers that fill and announce these.

-- Shared Signals outbox: one row per task end, written by a trigger in the transaction that ends the task (V8), so
-- an end that commits always has its events queued. The transmitter relays each row into signed SETs
-- (ssf_deliveries) and deletes it in one transaction: one replica wins, a crash before that leaves the row for the
-- next pass of any replica.
CREATE TABLE ssf_outbox (
    task_id  TEXT   NOT NULL PRIMARY KEY,
    ended_at BIGINT NOT NULL
);

-- Generated private keys shared by replicas (store.key_encryption_env): each sealed with AES-256-GCM under a key
-- derived from a secret only the replicas hold; the database never sees a key in the clear.
CREATE TABLE shared_keys (
    key_id     TEXT   NOT NULL PRIMARY KEY,
    sealed     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
