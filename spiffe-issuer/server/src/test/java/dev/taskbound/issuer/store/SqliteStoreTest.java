package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static dev.taskbound.issuer.store.Fixtures.activeTask;
import static dev.taskbound.issuer.store.Fixtures.jwtKey;
import static dev.taskbound.issuer.store.Fixtures.x509;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What only SQLite needs proving: its durability settings, restarts, and many writers on one file. */
class SqliteStoreTest {
  @TempDir Path tempDir;

  @Test
  void pooledConnectionsRunWalWithFullSyncAndForeignKeys() {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("taskbound.db"))) {
      assertThat(store.sqlitePragma("journal_mode")).isEqualToIgnoringCase("wal");
      assertThat(store.sqlitePragma("synchronous")).isEqualTo("2"); // 2 = FULL
      assertThat(store.sqlitePragma("foreign_keys")).isEqualTo("1");
      assertThat(Integer.parseInt(store.sqlitePragma("busy_timeout"))).isPositive();
      // Checkpoints run on the store's own thread, never inside a commit.
      assertThat(store.sqlitePragma("wal_autocheckpoint")).isEqualTo("0");
    }
  }

  @Test
  void theWriteAheadLogIsCheckpointedWhileOpenAndEmptiedAtClose() throws Exception {
    Path file = tempDir.resolve("taskbound.db");
    Path wal = tempDir.resolve("taskbound.db-wal");
    try (JdbcStore store = Stores.openSqlite(file)) {
      for (int i = 0; i < 200; i++) {
        store.insertTask(activeTask("t" + i, T0), List.of(x509("t" + i, "s" + i, T0)));
      }
      // Wait for the event: the checkpointer's pass copies the log into the database file (its pages grow past
      // the empty schema's) while the store stays open.
      long schemaOnly = java.nio.file.Files.size(file);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (java.nio.file.Files.size(file) <= schemaOnly && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(java.nio.file.Files.size(file)).as("database file after a checkpoint").isGreaterThan(schemaOnly);
      assertThat(java.nio.file.Files.size(wal)).isPositive();
    }
    assertThat(java.nio.file.Files.exists(wal) ? java.nio.file.Files.size(wal) : 0).as("log left at close").isZero();
    try (JdbcStore reopened = Stores.openSqlite(file)) {
      assertThat(reopened.findTask("t199")).isPresent();
    }
  }

  /**
   * Under writes that never pause the log still starts over once it is long, so it stays bounded (a log that only
   * grows costs every reader a longer search and every write fresh pages). Seen from the log's header: its checkpoint
   * sequence number goes up each time a writer starts the log over.
   */
  @Test
  void theLogStartsOverWhileWritesNeverPause() throws Exception {
    Path file = tempDir.resolve("busy-log.db");
    Path wal = tempDir.resolve("busy-log.db-wal");
    try (JdbcStore store = Stores.openSqlite(file)) {
      store.restartLogAt(64); // frames; the default (64 MiB of log) takes minutes of writes to reach
      store.insertTask(activeTask("first", T0), List.of(x509("first", "s-first", T0)));
      int startSequence = walCheckpointSequence(wal);
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong written = new AtomicLong();
      ExecutorService writers = Executors.newFixedThreadPool(8);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        futures.add(writers.submit(() -> {
          for (int i = 0; !stop.get(); i++) {
            String id = "w" + thread + "-" + i;
            store.insertTask(activeTask(id, T0), List.of(x509(id, "s-" + id, T0)));
            written.incrementAndGet();
          }
          return null;
        }));
      }
      try {
        // Wait for the event (the log started over three times while the writers ran); the deadline only bounds a
        // failing run.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (walCheckpointSequence(wal) - startSequence < 3 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        long writtenWhenSeen = written.get();
        assertThat(walCheckpointSequence(wal) - startSequence).as("times the log started over while writes went on").isGreaterThanOrEqualTo(3);
        // The writers were still writing: nothing paused for the log to start over.
        long more = writtenWhenSeen;
        while (written.get() == more) {
          Thread.sleep(5);
        }
      } finally {
        stop.set(true);
        writers.shutdown();
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
      assertThat(store.findTask("w0-0")).isPresent();
    }
  }

  /** The checkpoint sequence number in a write-ahead log's header (big-endian, bytes 12 to 15). */
  private static int walCheckpointSequence(Path wal) throws java.io.IOException {
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(wal, java.nio.file.StandardOpenOption.READ)) {
      java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(16);
      while (header.hasRemaining() && ch.read(header, header.position()) > 0) {
        // read the first 16 bytes
      }
      return header.hasRemaining() ? 0 : header.getInt(12);
    }
  }

  @Test
  void reopenedStoreSeesEverythingWritten() {
    Path file = tempDir.resolve("data/taskbound.db");
    try (JdbcStore store = Stores.openSqlite(file)) {
      store.insertTask(activeTask("t1", T0), List.of(x509("t1", "s1", T0)));
      store.endTask("t1", TaskOutcome.SUCCEEDED, "ok", T0.plusSeconds(5));
      store.putBundleKey(jwtKey("k1", KeyState.ACTIVE));
      store.insertOneTimeToken("sha", "nonce", T0.plusSeconds(60));
      store.rememberJti("iss", "j1", T0.plusSeconds(60), T0);
    }

    try (JdbcStore reopened = Stores.openSqlite(file)) {
      TaskRecord task = reopened.findTask("t1").orElseThrow();
      assertThat(task.outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
      assertThat(reopened.credentialsOf("t1")).extracting(CredentialRecord::revokedAt)
          .containsExactly(T0.plusSeconds(5));
      assertThat(reopened.bundleSequence()).isEqualTo(1);
      assertThat(reopened.bundleKeys()).containsExactly(jwtKey("k1", KeyState.ACTIVE));
      assertThat(reopened.rememberJti("iss", "j1", T0.plusSeconds(60), T0)).isFalse();
      assertThat(reopened.consumeOneTimeToken("sha", "nonce", T0)).isTrue();
    }
  }

  @Test
  void concurrentWritersWaitForTheLockInsteadOfFailing() throws Exception {
    int threads = 16;
    int tasksPerThread = 20;
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("busy.db"))) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          futures.add(
              pool.submit(
                  () -> {
                    start.await();
                    for (int i = 0; i < tasksPerThread; i++) {
                      String id = "t" + thread + "-" + i;
                      store.insertTask(activeTask(id, T0.plusMillis(i)), List.of(x509(id, "s-" + id, T0)));
                      store.recordRenewal(id, T0.plusSeconds(1), List.of(x509(id, "r-" + id, T0)));
                      store.endTask(id, TaskOutcome.SUCCEEDED, null, T0.plusSeconds(2));
                    }
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> f : futures) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(store.listTasks(TaskState.ENDED, 1000)).hasSize(threads * tasksPerThread);
    }
  }
}
