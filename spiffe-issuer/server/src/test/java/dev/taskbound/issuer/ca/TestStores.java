package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Real SQLite stores in a test's temporary directory, closed together after the test. */
final class TestStores implements AutoCloseable {
  private final List<Store> open = new ArrayList<>();

  Store open(Path dir) {
    Store store = Stores.openSqlite(dir.resolve("bundle-" + open.size() + ".db"));
    open.add(store);
    return store;
  }

  @Override
  public void close() {
    open.forEach(Store::close);
  }
}
