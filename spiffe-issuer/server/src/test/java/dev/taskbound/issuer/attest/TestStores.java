package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import java.nio.file.Path;

/** The one place tests open a store: the real SQLite store, so reopening the same directory is a restart. */
final class TestStores {
  private TestStores() {}

  static Store open(Path dir) {
    return Stores.openSqlite(dir.resolve("taskbound.db"));
  }
}
