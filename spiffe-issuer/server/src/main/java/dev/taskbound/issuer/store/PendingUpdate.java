package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.function.IntConsumer;

/**
 * An update (a statement answered by a row count) as a value, for a write that rides in another's round trip:
 * PostgreSQL answers statements sent together in one, so the evidence log sends the keeping of a revocation receipt
 * with its batch's checkpoint. {@code counted} is told the row count once the update ran.
 */
public record PendingUpdate(String sql, Binder binder, IntConsumer counted) {

  /** Binds the update's parameters from index {@code first} (it may follow other statements); returns the next index. */
  @FunctionalInterface
  public interface Binder {
    int bind(PreparedStatement ps, int first) throws SQLException;
  }

  /** The same update, telling {@code then} its row count too. */
  public PendingUpdate andThen(IntConsumer then) {
    return new PendingUpdate(sql, binder, counted.andThen(then));
  }

  /** Runs it on its own; returns its row count (told to {@code counted} first). */
  public int run(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps, 1);
      int rows = ps.executeUpdate();
      counted.accept(rows);
      return rows;
    }
  }
}
