package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.ResultSet;
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
 *
 * <p>While the writer never pauses, though, the log never starts over: a write starts it over only when it begins
 * after a checkpoint copied the log to its end, and the writer has always begun its next batch before a pass from
 * here ends. The log would grow without end (gigabytes an hour under load), and with it every reader's search of it
 * and the fresh pages every write takes. So once the log holds {@code restartFrames} frames, the writer finishes a
 * pass between two batches, where the log stands still: it copies only what was appended during the pass, and its
 * next batch starts the log over. That costs the writer a few milliseconds (two syncs), so it is asked only then.
 */
final class WalCheckpointer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WalCheckpointer.class);
  static final long INTERVAL_MILLIS = 200;
  /** Frames in the log (of 4 KiB pages: 64 MiB) at which the writer is asked to let it start over. */
  static final long RESTART_FRAMES = 16_384;

  private final DataSource pool;
  private final StoreWriter writer;
  private final Thread thread;
  private volatile long restartFrames = RESTART_FRAMES;
  private volatile boolean closed;

  /** SQLite's answer to a checkpoint: busy (0 or 1), frames in the log, frames copied into the database. */
  private record Pass(int busy, long logFrames, long copiedFrames) {}

  WalCheckpointer(DataSource pool, StoreWriter writer) {
    this.pool = pool;
    this.writer = writer;
    this.thread = new Thread(this::loop, "taskbound-sqlite-checkpoint");
    this.thread.setDaemon(true);
    this.thread.start();
  }

  private void loop() {
    while (!closed) {
      try {
        TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
        if (checkpoint("PASSIVE").logFrames() >= restartFrames) {
          writer.betweenBatches(c -> checkpoint(c, "PASSIVE"));
        }
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

  /** Tests: a log this long is started over (the default takes minutes of writes to reach). */
  void restartAt(long frames) {
    restartFrames = frames;
  }

  private Pass checkpoint(String mode) throws SQLException {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return checkpoint(c, mode);
    }
  }

  private static Pass checkpoint(Connection c, String mode) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(" + mode + ")")) {
      rs.next();
      return new Pass(rs.getInt(1), rs.getLong(2), rs.getLong(3));
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
