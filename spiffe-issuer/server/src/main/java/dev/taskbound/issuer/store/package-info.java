/**
 * Durable state behind one interface, {@link dev.taskbound.issuer.store.Store}: SQLite (WAL, synchronous FULL,
 * IMMEDIATE write transactions) as the embedded default and PostgreSQL for replicas, both served by one
 * implementation, {@link dev.taskbound.issuer.store.JdbcStore}, with the same SQL and the same Flyway scripts
 * ({@code db/migration}). {@link dev.taskbound.issuer.store.Stores} opens and migrates it.
 *
 * <p>Reads run on pooled connections in auto-commit mode. Every write is a value ({@link
 * dev.taskbound.issuer.store.Write}) committed by the store's one {@link dev.taskbound.issuer.store.StoreWriter}:
 * one thread, one transaction per batch of whatever is queued, a savepoint per write (a failing write fails only its
 * caller), one commit per batch, callers answered after the commit. {@link
 * dev.taskbound.issuer.store.BatchParticipant}s (the evidence log) join the batches; their {@code batchStarted} hook
 * is where replicas sharing a PostgreSQL database order their evidence appends (an advisory transaction lock, then
 * catching up with leaves others appended; see docs/architecture.md, "The store writer").
 */
package dev.taskbound.issuer.store;
