-- Only revoked credentials are ever looked up by revocation time (the revocation feed, the CRL, the report), and a
-- credential is issued unrevoked: the full index took an entry for every credential a begin inserted, and again
-- when it was revoked. Both SQLite and PostgreSQL use a partial index for "revoked_at >= ?", which implies it.
DROP INDEX credentials_by_revoked_at;
CREATE INDEX credentials_by_revoked_at ON credentials (revoked_at) WHERE revoked_at IS NOT NULL;
