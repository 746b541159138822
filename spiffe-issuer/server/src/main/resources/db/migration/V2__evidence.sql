-- Evidence log, version 2. Same SQL on SQLite and PostgreSQL: entries are canonical JSON text (JSON escapes
-- control characters, so no NUL byte ever reaches PostgreSQL TEXT), hashes are lower-case hex.

-- One row per log leaf, appended in leaf order by the single log writer; never updated or deleted.
CREATE TABLE evidence_entries (
    leaf_index  BIGINT NOT NULL PRIMARY KEY CHECK (leaf_index >= 0),
    task_id     TEXT,
    event_type  TEXT   NOT NULL,
    entry       TEXT   NOT NULL,
    leaf_hash   TEXT   NOT NULL,
    appended_at BIGINT NOT NULL
);
CREATE INDEX evidence_entries_by_task ON evidence_entries (task_id, leaf_index);

-- Every signed checkpoint (C2SP signed note), committed with the entries it covers.
CREATE TABLE evidence_checkpoints (
    tree_size BIGINT NOT NULL PRIMARY KEY CHECK (tree_size >= 0),
    root_hash TEXT   NOT NULL,
    note      TEXT   NOT NULL,
    signed_at BIGINT NOT NULL
);
