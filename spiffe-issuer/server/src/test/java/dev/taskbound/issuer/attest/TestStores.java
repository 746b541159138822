package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.store.Store;
import java.nio.file.Path;

/** The one place tests open a store: reopening the same directory gives the same state (a restart). */
final class TestStores {
  private TestStores() {}

  static Store open(Path dir) {
    return InMemoryStore.open(dir.resolve("taskbound.db"));
  }
}
