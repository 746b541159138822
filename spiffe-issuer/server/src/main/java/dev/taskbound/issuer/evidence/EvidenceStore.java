package dev.taskbound.issuer.evidence;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import javax.sql.DataSource;

/**
 * Persistence of the log (tables from {@code V2__evidence.sql}) on the issuer's pool; the same SQL on SQLite and
 * PostgreSQL. Entries and the checkpoint that covers them are written in one transaction (a batch of the store's
 * writer), so a committed checkpoint never names leaves the store does not have.
 */
final class EvidenceStore {
  private static final HexFormat HEX = HexFormat.of();

  /** A leaf as stored. */
  record Row(long leafIndex, String taskId, String eventType, String entry, byte[] leafHash) {}

  private final DataSource pool;

  EvidenceStore(DataSource pool) {
    this.pool = pool;
  }

  /** Streams the leaf hashes from {@code from} on, in order, checking there is no gap. */
  long loadLeafHashes(long from, Consumer<byte[]> sink) {
    return read("load evidence leaves", c -> loadLeafHashes(c, from, sink));
  }

  /** As {@link #loadLeafHashes(long, Consumer)}, on {@code c} (inside a writer's batch). */
  static long loadLeafHashes(Connection c, long from, Consumer<byte[]> sink) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT leaf_index, leaf_hash FROM evidence_entries WHERE leaf_index >= ? ORDER BY leaf_index")) {
      ps.setLong(1, from);
      ps.setFetchSize(10_000);
      long next = from;
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (rs.getLong(1) != next) {
            throw new EvidenceException("evidence log has a gap at leaf " + next);
          }
          sink.accept(HEX.parseHex(rs.getString(2)));
          next++;
        }
      }
      return next;
    }
  }

  /** Inserts leaves in the caller's transaction (the store writer's batch). */
  static void insertEntries(Connection c, List<Row> rows, long appendedAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO evidence_entries (leaf_index, task_id, event_type, entry, leaf_hash, appended_at)"
            + " VALUES (?,?,?,?,?,?)")) {
      for (Row r : rows) {
        ps.setLong(1, r.leafIndex());
        ps.setString(2, r.taskId());
        ps.setString(3, r.eventType());
        ps.setString(4, r.entry());
        ps.setString(5, HEX.formatHex(r.leafHash()));
        ps.setLong(6, appendedAt);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  /**
   * Inserts a signed checkpoint in the caller's transaction, the one that inserted the leaves it covers: a
   * committed checkpoint never names leaves the store does not have.
   */
  static void insertCheckpoint(Connection c, long treeSize, byte[] root, String note, long signedAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO evidence_checkpoints (tree_size, root_hash, note, signed_at) VALUES (?,?,?,?)")) {
      ps.setLong(1, treeSize);
      ps.setString(2, HEX.formatHex(root));
      ps.setString(3, note);
      ps.setLong(4, signedAt);
      ps.executeUpdate();
    }
  }

  /** The signed note of the largest checkpoint, if any. */
  Optional<String> latestCheckpoint() {
    return read("read the latest checkpoint", EvidenceStore::latestCheckpoint);
  }

  /** As {@link #latestCheckpoint()}, on {@code c}. */
  static Optional<String> latestCheckpoint(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT note FROM evidence_checkpoints ORDER BY tree_size DESC LIMIT 1");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
    }
  }

  /** The signed note for exactly {@code treeSize}, if one was signed. */
  Optional<String> checkpointAt(long treeSize) {
    return read("read a checkpoint", c -> {
      try (PreparedStatement ps = c.prepareStatement("SELECT note FROM evidence_checkpoints WHERE tree_size = ?")) {
        ps.setLong(1, treeSize);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    });
  }

  /** The entries of one task below {@code treeSize}, in leaf order. */
  List<Row> entriesOf(String taskId, long treeSize) {
    return read("read task evidence", c -> entriesOf(c, taskId, treeSize));
  }

  /** As {@link #entriesOf(String, long)}, on {@code c} (inside a write: sees the batch's own entries too). */
  static List<Row> entriesOf(Connection c, String taskId, long treeSize) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT leaf_index, task_id, event_type, entry, leaf_hash FROM evidence_entries"
            + " WHERE task_id = ? AND leaf_index < ? ORDER BY leaf_index")) {
      ps.setString(1, taskId);
      ps.setLong(2, treeSize);
      List<Row> rows = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), HEX.parseHex(rs.getString(5))));
        }
      }
      return rows;
    }
  }

  @FunctionalInterface
  private interface Query<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T read(String operation, Query<T> query) {
    try (Connection c = pool.getConnection()) {
      c.setAutoCommit(true);
      return query.run(c);
    } catch (SQLException e) {
      throw new EvidenceException(operation + " failed: " + e.getMessage(), e);
    }
  }
}
