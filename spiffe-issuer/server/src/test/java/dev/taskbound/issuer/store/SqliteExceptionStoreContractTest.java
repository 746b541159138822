package dev.taskbound.issuer.store;

/** The exception register's store contract on a fresh SQLite file per case. */
class SqliteExceptionStoreContractTest extends ExceptionStoreContract {
  @Override
  Database database() {
    return Database.SQLITE;
  }
}
