package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one writer of a store (group commit for every write). Callers hand it {@link Write}s; one batch at a time
 * takes whatever is queued (up to {@code maxBatch}), runs it in one transaction with a savepoint per write, and
 * commits once: one fsync for the whole batch. A write that fails is rolled back to its savepoint and fails only its
 * caller; the others commit. Futures complete only after the commit, so an answer never gets ahead of durability.
 *
 * <p>A batch runs on the writer's own thread, or (SQLite), when {@link #execute} finds no batch under way and nothing
 * queued, on the caller's: handing a lone write to another thread and waiting to be woken again costs two thread
 * wake-ups per write, which on a busy machine are a good part of it (issue 13: ~10 % more begins per second at 8
 * and 64 clients). Writes arriving meanwhile queue for the writer's thread, which runs them right after. On
 * PostgreSQL that made more batches of one write each (14 % more server CPU per begin at 8 clients), so there every
 * write goes to the writer's thread.
 *
 * <p>Being the only writer, it never waits for SQLite's write lock (no busy-timeout back-off between requests of
 * this process). {@link BatchParticipant}s (the evidence log) ride in the same transactions.
 */
public final class StoreWriter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StoreWriter.class);
  /** Writes gathered into one transaction at most: bounds transaction size and the latency of a flood. */
  public static final int DEFAULT_MAX_BATCH = 512;
  private static final long WAIT_SECONDS = 30;

  private record Pending<T>(Write<T> write, CompletableFuture<T> done) {
    void completeWith(Object result) {
      @SuppressWarnings("unchecked")
      T t = (T) result;
      done.complete(t);
    }
  }

  private final DataSource pool;
  private final int maxBatch;
  private final boolean callersRun;
  private final BlockingQueue<Pending<?>> queue = new LinkedBlockingQueue<>();
  private final List<BatchParticipant> participants = new CopyOnWriteArrayList<>();
  private final Thread thread;
  /** Held by whoever runs a batch: the writer's thread, or a caller that found the writer idle. */
  private final ReentrantLock role = new ReentrantLock();
  private final AtomicReference<Maintenance> betweenBatches = new AtomicReference<>();
  private volatile boolean closed;

  /** Work on a connection outside any transaction, run by the writer between two batches. */
  @FunctionalInterface
  public interface Maintenance {
    void run(Connection c) throws SQLException;
  }

  /**
   * {@code maxBatch} 1 turns group commit off (benchmarks). {@code callersRun} false sends every write to the
   * writer's thread: where a batch costs round trips and server work of its own (PostgreSQL), gathering writes into
   * fewer batches is worth more than the wake-ups a caller running its own would save.
   */
  public StoreWriter(DataSource pool, String name, int maxBatch, boolean callersRun) {
    if (maxBatch < 1) {
      throw new IllegalArgumentException("maxBatch must be at least 1");
    }
    this.pool = pool;
    this.maxBatch = maxBatch;
    this.callersRun = callersRun;
    this.thread = new Thread(this::loop, "taskbound-store-writer-" + name);
    this.thread.setDaemon(true);
    this.thread.start();
  }

  /** Joins {@code participant} to every batch from the next one on. */
  public void join(BatchParticipant participant) {
    participants.add(participant);
  }

  public void leave(BatchParticipant participant) {
    participants.remove(participant);
  }

  /** Queues {@code write}; the future completes after the batch that ran it committed, or fails. */
  public <T> CompletableFuture<T> submit(Write<T> write) {
    CompletableFuture<T> done = new CompletableFuture<>();
    if (role.isHeldByCurrentThread()) {
      // A write or participant calling the store would wait on itself.
      done.completeExceptionally(new IllegalStateException("the store writer cannot wait on its own write: " + write.operation()));
    } else if (closed) {
      done.completeExceptionally(new StoreException(write.operation() + " failed: the store is closed"));
    } else {
      queue.add(new Pending<>(write, done));
    }
    return done;
  }

  /** Runs {@code write} and returns its result once durable; a {@link StoreException} when it may not be. */
  public <T> T execute(Write<T> write) {
    CompletableFuture<T> done = null;
    if (callersRun && !closed && queue.isEmpty() && !role.isHeldByCurrentThread() && role.tryLock()) {
      // The writer is idle: run the batch on this thread rather than hand it over and wait to be handed it back.
      try {
        if (!closed) {
          done = new CompletableFuture<>();
          List<Pending<?>> batch = new ArrayList<>();
          batch.add(new Pending<>(write, done));
          maintain();
          queue.drainTo(batch, maxBatch - 1);
          runGuarded(batch);
        }
      } finally {
        role.unlock();
      }
    }
    try {
      return (done != null ? done : submit(write)).get(WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      throw new StoreException(write.operation() + " failed", cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(write.operation() + " interrupted", e);
    } catch (TimeoutException e) {
      throw new StoreException(write.operation() + " timed out waiting for the store writer", e);
    }
  }

  /**
   * Runs {@code task} once after the batch under way commits and before the next begins (on the thread that runs
   * that one), on a pooled connection in auto-commit mode: for work that must see no write of this store in flight
   * (finishing a SQLite checkpoint). A request made while another is pending replaces it; a failure is logged, never a caller's.
   */
  public void betweenBatches(Maintenance task) {
    betweenBatches.set(task);
  }

  /**
   * True on the thread running a batch of this writer, while it does (participants use it to tell their own batches
   * from outside calls).
   */
  public boolean isWriterThread() {
    return role.isHeldByCurrentThread();
  }

  /** Writes waiting for a batch (metrics; tests hold the writer and wait for a batch to fill). */
  public int queued() {
    return queue.size();
  }

  private void loop() {
    while (!closed || !queue.isEmpty()) {
      Pending<?> first;
      try {
        first = queue.poll(200, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
        continue;
      }
      role.lock();
      try {
        maintain();
        if (first != null) {
          List<Pending<?>> batch = new ArrayList<>();
          batch.add(first);
          queue.drainTo(batch, maxBatch - 1);
          runGuarded(batch);
        }
      } finally {
        role.unlock();
      }
    }
    Pending<?> p;
    while ((p = queue.poll()) != null) {
      p.done().completeExceptionally(new StoreException(p.write().operation() + " failed: the store is closed"));
    }
  }

  private void runGuarded(List<Pending<?>> batch) {
    try {
      run(batch);
    } catch (RuntimeException | Error e) {
      // run() fails its batch itself; this is the last resort so that no caller waits forever.
      LOG.error("store writer failed", e);
      batch.forEach(p -> p.done().completeExceptionally(new StoreException("the store writer failed", e)));
    }
  }

  private void maintain() {
    Maintenance task = betweenBatches.getAndSet(null);
    if (task == null) {
      return;
    }
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      task.run(c);
    } catch (SQLException | RuntimeException e) {
      LOG.warn("store maintenance between batches failed: {}", e.getMessage());
    }
  }

  private void run(List<Pending<?>> batch) {
    // Optimistic first: no savepoints (on PostgreSQL each one is two more round trips per write, on the one thread
    // every write waits for). A write that fails there undoes the whole attempt, which then runs again with a
    // savepoint per write, so only the failing write fails. Writes are values: running one again is safe.
    if (batch.size() > 1 && runBatch(batch, false)) {
      return;
    }
    runBatch(batch, batch.size() > 1);
  }

  /**
   * Runs {@code batch} in one transaction and settles every caller, except when {@code !savepoints} and a write
   * failed: then nothing was committed, no caller was told anything, and it returns false.
   */
  private boolean runBatch(List<Pending<?>> batch, boolean savepoints) {
    Object[] results = new Object[batch.size()];
    RuntimeException[] failures = new RuntimeException[batch.size()];
    boolean optimistic = !savepoints && batch.size() > 1;
    // The participants of this batch, all of it: one that joins meanwhile (the evidence log opening while a key is
    // being written) starts with the next batch, never at its beforeCommit without its batchStarted.
    List<BatchParticipant> inBatch = List.copyOf(participants);
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      try {
        for (BatchParticipant p : inBatch) {
          p.batchStarted(c);
        }
        for (int i = 0; i < batch.size(); i++) {
          Write<?> write = batch.get(i).write();
          Savepoint savepoint = savepoints ? c.setSavepoint() : null;
          inBatch.forEach(BatchParticipant::writeStarted);
          try {
            results[i] = write.apply(c);
            if (savepoint != null) {
              c.releaseSavepoint(savepoint);
            }
          } catch (SQLException | RuntimeException e) {
            if (optimistic) {
              rollbackQuietly(c, e);
              inBatch.forEach(BatchParticipant::retrying);
              return false;
            }
            if (savepoint != null) {
              // Only this write is undone (e.g. a unique violation, which would otherwise abort the whole
              // PostgreSQL transaction); a failing rollback to the savepoint fails the batch below.
              c.rollback(savepoint);
            } else {
              // A batch of one: its only write failed, so nothing is left to commit.
              c.rollback();
            }
            inBatch.forEach(BatchParticipant::writeRolledBack);
            failures[i] = e instanceof SQLException s
                ? new StoreException(write.operation() + " failed: " + s.getMessage(), s)
                : (RuntimeException) e;
          }
        }
        for (BatchParticipant p : inBatch) {
          p.beforeCommit(c);
        }
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
      // Committing by leaving manual-commit mode: sqlite-jdbc's commit() would BEGIN IMMEDIATE again at once and
      // hold the write lock until the connection is back in the pool.
      c.setAutoCommit(true);
    } catch (SQLException | RuntimeException e) {
      inBatch.forEach(BatchParticipant::rolledBack);
      for (Pending<?> p : batch) {
        p.done().completeExceptionally(
            e instanceof StoreException se ? se : new StoreException(p.write().operation() + " failed: " + e.getMessage(), e));
      }
      return true;
    }
    inBatch.forEach(BatchParticipant::committed);
    for (int i = 0; i < batch.size(); i++) {
      if (failures[i] != null) {
        batch.get(i).done().completeExceptionally(failures[i]);
      } else {
        batch.get(i).completeWith(results[i]);
      }
    }
    return true;
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** Stops after everything queued has been committed or failed. */
  @Override
  public void close() {
    closed = true;
    try {
      thread.join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
      // A caller may still be running a batch of its own: the store stays open under it until it commits.
      if (role.tryLock(WAIT_SECONDS, TimeUnit.SECONDS)) {
        role.unlock();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
