package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Something that keeps state in step with the {@link StoreWriter}'s batches: the evidence log (its in-memory Merkle
 * tree grows with the writes that append to it, one signed checkpoint per batch). All calls come from the thread
 * running the batch ({@link StoreWriter#isWriterThread()}; never two batches at once), in this order: {@link #batchStarted} once, then per write {@link #writeStarted} and, when that write's
 * savepoint is rolled back, {@link #writeRolledBack}; then {@link #beforeCommit}; then exactly one of
 * {@link #committed} or {@link #rolledBack}. None of them may call the store.
 */
public interface BatchParticipant {
  /**
   * Inside the batch transaction, before any write. Where replicas share a database this is where a participant
   * takes what orders it against the other replicas (issue 14: the evidence log's advisory lock, then catching up
   * with leaves another replica appended).
   */
  default void batchStarted(Connection connection) throws SQLException {}

  /** A write's savepoint was just set. */
  default void writeStarted() {}

  /** The write started last failed and its savepoint was rolled back: forget what it did. */
  default void writeRolledBack() {}

  /** After the last write, still inside the transaction: the last chance to write (e.g. the batch's checkpoint). */
  default void beforeCommit(Connection connection) throws SQLException {}

  /** The batch is durable; callers are told right after. */
  default void committed() {}

  /** The batch did not commit (or may not have): forget it, and resynchronise with the database if needed. */
  default void rolledBack() {}

  /**
   * The batch was rolled back to run again, a savepoint per write, because one of its writes failed: as
   * {@link #rolledBack}, but its writes are not over.
   */
  default void retrying() {
    rolledBack();
  }
}
