/**
 * Durable state behind one interface, {@link dev.taskbound.issuer.store.Store}: SQLite (WAL, synchronous FULL,
 * IMMEDIATE write transactions) as the embedded default and PostgreSQL for replicas, both served by one
 * implementation, {@link dev.taskbound.issuer.store.JdbcStore}, with the same SQL and the same Flyway scripts
 * ({@code db/migration}). {@link dev.taskbound.issuer.store.Stores} opens and migrates it.
 */
package dev.taskbound.issuer.store;
