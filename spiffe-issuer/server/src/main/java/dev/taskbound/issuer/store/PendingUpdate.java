package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * An update (a statement answered by a row count) as a value, so that the updates of several writes can be sent
 * together: the evidence log keeps the revocation receipts of a batch's ends once its checkpoint is signed, all of
 * them in one round trip on PostgreSQL ({@link #runTogether}). {@code counted} is told the row count once it ran.
 */
public record PendingUpdate(String sql, Binder binder, IntConsumer counted) {

  /** Sets the update's parameters. */
  @FunctionalInterface
  public interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  /** The same update, telling {@code then} its row count too. */
  public PendingUpdate andThen(IntConsumer then) {
    return new PendingUpdate(sql, binder, counted.andThen(then));
  }

  /** Runs it on its own; returns its row count (told to {@code counted} first). */
  public int run(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      int rows = ps.executeUpdate();
      counted.accept(rows);
      return rows;
    }
  }

  /**
   * Runs {@code updates}, those with the same SQL as one JDBC batch (pgjdbc sends a batch in one round trip; one
   * statement text per batch size would leave the server a prepared statement per size), each SQL in the order it
   * first appears; tells each update its row count.
   */
  public static void runTogether(Connection c, List<PendingUpdate> updates) throws SQLException {
    Map<String, List<PendingUpdate>> bySql = new LinkedHashMap<>();
    updates.forEach(u -> bySql.computeIfAbsent(u.sql(), k -> new ArrayList<>()).add(u));
    for (Map.Entry<String, List<PendingUpdate>> same : bySql.entrySet()) {
      try (PreparedStatement ps = c.prepareStatement(same.getKey())) {
        for (PendingUpdate u : same.getValue()) {
          u.binder().bind(ps);
          ps.addBatch();
        }
        int[] rows = ps.executeBatch();
        for (int i = 0; i < rows.length; i++) {
          same.getValue().get(i).counted().accept(rows[i]);
        }
      }
    }
  }
}
