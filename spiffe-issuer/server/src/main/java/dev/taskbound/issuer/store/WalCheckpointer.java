package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints a SQLite store's write-ahead log on a thread of its own. SQLite's automatic checkpoint (turned off on
 * every connection of the store) runs inside the commit that crosses its threshold: copying a few megabytes into the
 * database file and syncing it, on the store's one writer, stalls every write queued behind it. A passive checkpoint
 * from here takes no lock a writer waits on; committed data is durable in the log either way, so this moves latency,
 * never durability.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
  static final long INTERVAL_MILLIS = 200;

  private final DataSource pool;
  private final Thread thread;
  private volatile boolean closed;

  WalCheckpointer(DataSource pool) {
    this.pool = pool;
    this.thread = new Thread(this::loop, "taskbound-sqlite-checkpoint");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void loop() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
        checkpoint("PASSIVE");
      } catch (InterruptedException e) {
        if (closed) {
          return;
        }
      } catch (SQLException | RuntimeException e) {
        // The next pass tries again; SQLite still syncs every commit to the log.
        LOG.warn("SQLite checkpoint failed: {}", e.getMessage());
      }
    }
  }

  private void checkpoint(String mode) throws SQLException {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      c.setAutoCommit(true);
      s.execute("PRAGMA wal_checkpoint(" + mode + ")");
    }
  }

  /** Stops the thread, then copies the whole log into the database and empties it (a clean file at rest). */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(10));
      checkpoint("TRUNCATE");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (SQLException | RuntimeException e) {
      LOG.warn("final SQLite checkpoint failed: {}", e.getMessage());
    }
  }
}
