package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * The two transaction kinds of the store. Reads run on a pooled connection in auto-commit mode (one statement, its
 * own transaction, no write lock); every write goes to the store's one {@link StoreWriter}, which commits it with
 * whatever other writes are queued. {@link SQLException}s become {@link StoreException}s naming the operation
 * (never the bound values, which may be digests of secrets).
 */
final class Transactions {

  private final DataSource pool;
  private final StoreWriter writer;

  Transactions(DataSource pool, StoreWriter writer) {
    this.pool = pool;
    this.writer = writer;
  }

  /**
   * Runs a read that issues exactly one statement, in auto-commit mode: the statement is its own transaction, and
   * in SQLite it then takes no write lock.
   */
  <T> T oneStatement(String operation, Write.Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(operation + " failed: " + e.getMessage(), e);
    }
  }

  /** Runs work as one write of the writer's next batch; returns its result once the batch has committed. */
  <T> T inTransaction(String operation, Write.Work<T> work) {
    return writer.execute(Write.of(operation, work));
  }

  /** Runs {@code write} through the writer; returns its result once durable. */
  <T> T write(Write<T> write) {
    return writer.execute(write);
  }
}
