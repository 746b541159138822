package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.StoreException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store opens on a thread of its own while start-up binds the listener and builds what needs no store; a failure
 * on either side still fails the start with its own error, and leaves nothing open behind it.
 */
class IssuerStartTest {
  @TempDir Path dir;

  @Test
  void aStoreThatCannotBeOpenedFailsTheStartWithTheStoresOwnError() throws IOException {
    IssuerConfig cfg =
        config(
            "listen: 127.0.0.1:0",
            "store: {postgres_url: 'jdbc:postgresql://127.0.0.1:1/none', password_env: '', connection_timeout: 250ms}");

    assertThatThrownBy(() -> Issuer.start(cfg, Clock.systemUTC()))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("cannot connect to the postgresql store");
  }

  @Test
  void aListenerThatCannotBindFailsTheStartAndClosesTheStoreOpenedMeanwhile() throws IOException {
    List<Thread> before = storeThreads();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      IssuerConfig cfg = config("listen: 127.0.0.1:" + taken.getLocalPort());

      assertThatThrownBy(() -> Issuer.start(cfg, Clock.systemUTC())).isInstanceOf(IOException.class);
    }

    assertThat(dir.resolve("data").resolve("taskbound.db")).exists();
    assertThat(storeThreads()).as("store threads left running").isSubsetOf(before);
  }

  private IssuerConfig config(String... lines) throws IOException {
    Path file = dir.resolve("issuer.yaml");
    Files.writeString(file, "dev: true\ndata_dir: " + dir.resolve("data") + "\n" + String.join("\n", lines) + "\n");
    return ConfigLoader.load(file);
  }

  /** The threads of open stores: each store's writer, and the SQLite checkpointer. */
  private static List<Thread> storeThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().startsWith("taskbound-store-writer") || t.getName().equals("taskbound-sqlite-checkpoint"))
        .toList();
  }
}
