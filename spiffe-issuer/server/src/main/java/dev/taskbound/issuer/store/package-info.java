/**
 * Durable state behind one interface, {@link dev.taskbound.issuer.store.Store}: SQLite (WAL, synchronous FULL) as
 * the embedded default and PostgreSQL for replicas, both migrated by the same Flyway scripts.
 */
package dev.taskbound.issuer.store;
