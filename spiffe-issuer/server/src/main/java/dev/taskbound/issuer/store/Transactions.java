package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Runs units of work against the pool, one transaction each, and turns {@link SQLException} into
 * {@link StoreException} naming the operation (never the bound values, which may be digests of secrets).
 */
final class Transactions {

  /** One unit of work on a borrowed connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  private final DataSource pool;

  Transactions(DataSource pool) {
    this.pool = pool;
  }

  /**
   * Runs work that issues exactly one statement, in auto-commit mode: the statement is its own transaction, and a
   * read in SQLite then takes no write lock (write transactions there start IMMEDIATE).
   */
  <T> T oneStatement(String operation, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return work.run(c);
    } catch (SQLException e) {
      throw new StoreException(operation + " failed: " + e.getMessage(), e);
    }
  }

  /** Runs work in one write transaction; commits when it returns, rolls back when it throws. */
  <T> T inTransaction(String operation, Work<T> work) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(false);
      T result;
      try {
        result = work.run(c);
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
      // Committing by leaving manual-commit mode (JDBC: setAutoCommit(true) commits the open transaction).
      // sqlite-jdbc's commit() would immediately BEGIN IMMEDIATE again and hold the write lock until the
      // connection is returned; this way the lock is released at commit.
      c.setAutoCommit(true);
      return result;
    } catch (SQLException e) {
      throw new StoreException(operation + " failed: " + e.getMessage(), e);
    }
  }

  private static void rollbackQuietly(Connection c, Exception cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
