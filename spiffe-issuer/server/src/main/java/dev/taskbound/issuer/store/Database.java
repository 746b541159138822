package dev.taskbound.issuer.store;

/**
 * Which database is behind a {@link JdbcStore}. The SQL is the same for both; this only decides how connections
 * are opened and which diagnostics make sense.
 */
enum Database {
  SQLITE,
  POSTGRESQL
}
