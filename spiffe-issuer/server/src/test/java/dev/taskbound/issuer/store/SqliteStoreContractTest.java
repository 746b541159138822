package dev.taskbound.issuer.store;

/** The store contract on a fresh SQLite file per case. */
class SqliteStoreContractTest extends StoreContract {
  @Override
  Database database() {
    return Database.SQLITE;
  }
}
