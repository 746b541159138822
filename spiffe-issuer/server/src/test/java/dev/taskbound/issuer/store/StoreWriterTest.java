package dev.taskbound.issuer.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's one writer: on SQLite a write reaching an idle writer runs on its caller's thread (no hand-over to the
 * writer's thread and back), one reaching a busy one waits for the next batch; either way one batch at a time, and
 * futures complete only after their batch committed. On PostgreSQL every write goes to the writer's thread.
 */
class StoreWriterTest {
  @TempDir Path tempDir;

  @Test
  void aWriteReachingAnIdleWriterRunsOnItsCaller() {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("idle.db"))) {
      Thread caller = Thread.currentThread();

      Thread ranOn = store.writer().execute(Write.of("where", c -> Thread.currentThread()));

      assertThat(ranOn).isSameAs(caller);
    }
  }

  @Test
  void onPostgresqlEveryWriteGoesToTheWritersThreadToBeGatheredIntoFewerBatches() {
    try (ScratchDatabase db = ScratchDatabase.postgres()) {
      Thread caller = Thread.currentThread();

      Thread ranOn = db.store.writer().execute(Write.of("where", c -> Thread.currentThread()));

      assertThat(ranOn).isNotSameAs(caller);
      assertThat(ranOn.getName()).isEqualTo("taskbound-store-writer-postgresql");
    }
  }

  @Test
  void aWriteReachingABusyWriterRunsInTheNextBatchAfterTheOneUnderWay() throws Exception {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("busy.db"))) {
      StoreWriter writer = store.writer();
      List<String> order = Collections.synchronizedList(new ArrayList<>());
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Boolean> held = writer.submit(Write.of("hold", c -> {
        holding.countDown();
        boolean released = await(release);
        order.add("held");
        return released;
      }));
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();
      CompletableFuture<Thread> ranOn = new CompletableFuture<>();
      Thread caller = new Thread(() -> ranOn.complete(writer.execute(Write.of("queued", c -> {
        order.add("queued");
        return Thread.currentThread();
      }))));
      caller.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (writer.queued() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(writer.queued()).as("the write waits for the writer instead of running beside its batch").isEqualTo(1);
      release.countDown();

      assertThat(held.get(30, TimeUnit.SECONDS)).isTrue();
      assertThat(ranOn.get(30, TimeUnit.SECONDS)).as("the write ran on the writer's thread").isNotSameAs(caller);
      assertThat(order).containsExactly("held", "queued");
    }
  }

  @Test
  void batchesNeverOverlapWhetherTheyRunOnCallersOrOnTheWriter() throws Exception {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("overlap.db"))) {
      StoreWriter writer = store.writer();
      AtomicInteger inBatch = new AtomicInteger();
      AtomicInteger overlaps = new AtomicInteger();
      AtomicInteger onCallers = new AtomicInteger();
      AtomicInteger batches = new AtomicInteger();
      writer.join(new BatchParticipant() {
        @Override
        public void batchStarted(Connection connection) {
          if (inBatch.incrementAndGet() != 1) {
            overlaps.incrementAndGet();
          }
          batches.incrementAndGet();
        }

        @Override
        public void committed() {
          inBatch.decrementAndGet();
        }

        @Override
        public void rolledBack() {
          inBatch.decrementAndGet();
        }
      });
      int threads = 16;
      int perThread = 100;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<?>> futures = new ArrayList<>();
      try {
        for (int t = 0; t < threads; t++) {
          futures.add(pool.submit(() -> {
            Thread me = Thread.currentThread();
            for (int i = 0; i < perThread; i++) {
              boolean here = writer.execute(Write.of("count", c -> {
                assertThat(writer.isWriterThread()).isTrue();
                return Thread.currentThread() == me;
              }));
              if (here) {
                onCallers.incrementAndGet();
              }
            }
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }

      assertThat(overlaps).as("batches that began while another was under way").hasValue(0);
      assertThat(inBatch).hasValue(0);
      // Each write ran exactly once, in some batch; writes that met a busy writer shared its batches.
      assertThat(batches.get()).isBetween(1, threads * perThread);
      assertThat(onCallers.get()).as("writes that found the writer idle ran on their callers").isPositive();
    }
  }

  @Test
  void aParticipantJoiningDuringABatchStartsWithTheNextOne() throws Exception {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("join.db"))) {
      StoreWriter writer = store.writer();
      List<String> calls = Collections.synchronizedList(new ArrayList<>());
      BatchParticipant recorder = new BatchParticipant() {
        @Override
        public void batchStarted(Connection connection) {
          calls.add("batchStarted");
        }

        @Override
        public void writeStarted() {
          calls.add("writeStarted");
        }

        @Override
        public void beforeCommit(Connection connection) {
          calls.add("beforeCommit");
        }

        @Override
        public void committed() {
          calls.add("committed");
        }
      };
      CountDownLatch holding = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Boolean> held = writer.submit(Write.of("hold", c -> {
        holding.countDown();
        return await(release);
      }));
      assertThat(holding.await(30, TimeUnit.SECONDS)).isTrue();

      writer.join(recorder); // mid-batch, as the evidence log opens while the downstream keys are being written
      release.countDown();
      assertThat(held.get(30, TimeUnit.SECONDS)).isTrue();
      assertThat(calls).as("calls for the batch under way when it joined").isEmpty();

      writer.execute(Write.of("next", c -> 1));
      assertThat(calls).containsExactly("batchStarted", "writeStarted", "beforeCommit", "committed");
    }
  }

  @Test
  void aWriteThatWaitsOnTheStoreFromInsideItsBatchFailsInsteadOfWaitingForever() {
    try (JdbcStore store = Stores.openSqlite(tempDir.resolve("self.db"))) {
      StoreWriter writer = store.writer();

      assertThatThrownBy(() -> writer.execute(Write.of("outer", c -> writer.execute(Write.of("inner", d -> 1)))))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("cannot wait on its own write: inner");
    }
  }

  @Test
  void closeWaitsForABatchRunningOnItsCaller() throws Exception {
    JdbcStore store = Stores.openSqlite(tempDir.resolve("close.db"));
    StoreWriter writer = store.writer();
    List<String> order = Collections.synchronizedList(new ArrayList<>());
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    writer.join(new BatchParticipant() {
      @Override
      public void committed() {
        order.add("committed");
      }
    });
    Thread caller = new Thread(() -> writer.execute(Write.of("slow", c -> {
      inside.countDown();
      return await(release);
    })));
    caller.start();
    assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();
    Thread closer = new Thread(() -> {
      writer.close();
      order.add("closed");
    });
    closer.start();
    // close() stops the writer's thread, which waits for the caller's batch before it can end: so does close().
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (closer.getState() != Thread.State.TIMED_WAITING && closer.isAlive() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(closer.isAlive()).as("close() returned while a batch was under way").isTrue();
    release.countDown();
    closer.join(TimeUnit.SECONDS.toMillis(30));
    caller.join(TimeUnit.SECONDS.toMillis(30));
    store.close();

    assertThat(order).containsExactly("committed", "closed");
  }

  private static boolean await(CountDownLatch latch) {
    try {
      return latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
