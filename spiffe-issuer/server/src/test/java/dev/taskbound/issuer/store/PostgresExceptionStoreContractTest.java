package dev.taskbound.issuer.store;

/**
 * The exception register's store contract on a fresh schema per case of the PostgreSQL server in
 * {@code TASKBOUND_TEST_PG_URL}; skipped without it unless {@code TASKBOUND_REQUIRE_PG=1}.
 */
class PostgresExceptionStoreContractTest extends ExceptionStoreContract {
  @Override
  Database database() {
    return Database.POSTGRESQL;
  }
}
