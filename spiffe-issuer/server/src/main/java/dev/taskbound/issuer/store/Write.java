package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * One caller's write, taken as a value by the {@link StoreWriter}: it runs inside the writer's batch transaction,
 * under its own savepoint, and its result (a row-count answer, a record) reaches the caller only after the batch
 * committed. A write issues SQL on the connection it is given and nothing else: it must not call the store (that
 * would wait on the writer that runs it) nor keep the connection.
 */
public interface Write<T> {
  /** What the write does, in the caller's terms; names the failure ("insert task failed: ..."). */
  String operation();

  T apply(Connection connection) throws SQLException;

  /** One unit of work on the writer's connection. */
  @FunctionalInterface
  interface Work<T> {
    T run(Connection connection) throws SQLException;
  }

  /** A write from a name and a unit of work, for writes that need no record of their own. */
  static <T> Write<T> of(String operation, Work<T> work) {
    return new Write<>() {
      @Override
      public String operation() {
        return operation;
      }

      @Override
      public T apply(Connection connection) throws SQLException {
        return work.run(connection);
      }
    };
  }
}
