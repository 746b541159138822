package dev.taskbound.issuer.evidence;

import dev.taskbound.issuer.store.StoreException;
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
 * PostgreSQL, but for what PostgreSQL sends in one round trip (a batch's leaves with its checkpoint, the lock with
 * the leaf count). Entries and the checkpoint that covers them are written in one transaction (a batch of the
 * store's writer), so a committed checkpoint never names leaves the store does not have.
 */
final class EvidenceStore {
  private static final HexFormat HEX = HexFormat.of();

  /** The PostgreSQL advisory lock (per schema) that orders the replicas' writes to one log. */
  private static final String WRITER_LOCK = "taskbound-evidence-writer";
  private static final String LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ?))";

  /** A leaf as stored. */
  record Row(long leafIndex, String taskId, String eventType, String entry, byte[] leafHash) {}

  /** The log as one state: its newest checkpoint, and whether replicas may share it (PostgreSQL). */
  record Loaded(Optional<String> latestCheckpoint, boolean shared) {}

  private final DataSource pool;

  EvidenceStore(DataSource pool) {
    this.pool = pool;
  }

  /** Whether several issuer processes may write this log: PostgreSQL (one process per SQLite file). */
  static boolean shared(Connection c) throws SQLException {
    return "PostgreSQL".equalsIgnoreCase(c.getMetaData().getDatabaseProductName());
  }

  /**
   * Takes the log's advisory lock in {@code c}'s transaction (PostgreSQL only), held until it commits or rolls back:
   * while one replica holds it no other commits leaves. Keyed by schema, like {@code Store.exclusively}: logs in
   * other schemas of the same database are other logs.
   */
  static void lock(Connection c) throws SQLException {
    try (PreparedStatement lock = c.prepareStatement(LOCK)) {
      lock.setString(1, WRITER_LOCK);
      lock.execute();
    }
  }

  /**
   * As {@link #lock}, and returns the number of leaves stored once the lock is held: two statements sent together
   * (one round trip), the count taken after the lock, so it includes every leaf another replica committed before.
   */
  static long lockAndCount(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK + "; SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM evidence_entries")) {
      ps.setString(1, WRITER_LOCK);
      ps.execute();
      if (!ps.getMoreResults()) {
        throw new SQLException("the evidence log's leaf count did not come back");
      }
      try (ResultSet rs = ps.getResultSet()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Streams every leaf hash and returns the newest checkpoint as one state of the log: on PostgreSQL under its lock,
   * so a replica committing meanwhile cannot leave a checkpoint that covers leaves this read did not see.
   */
  Loaded load(Consumer<byte[]> sink) {
    try (Connection c = pool.getConnection()) {
      if (!shared(c)) {
        c.setAutoCommit(true);
        loadLeafHashes(c, 0, sink);
        return new Loaded(latestCheckpoint(c), false);
      }
      c.setAutoCommit(false);
      try {
        lock(c);
        loadLeafHashes(c, 0, sink);
        Optional<String> latest = latestCheckpoint(c);
        c.commit();
        return new Loaded(latest, true);
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw new EvidenceException("load the evidence log failed: " + e.getMessage(), e);
    }
  }

  /**
   * The size of the largest checkpoint committed by any replica (one index lookup): what a read compares with its
   * own to tell whether other replicas appended since. A {@link StoreException} when the store cannot be read.
   */
  long committedSize() {
    try (Connection c = pool.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT max(tree_size) FROM evidence_checkpoints");
        ResultSet rs = ps.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    } catch (SQLException e) {
      throw new StoreException("read the evidence log's size failed: " + e.getMessage(), e);
    }
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

  private static final String INSERT_CHECKPOINT =
      "INSERT INTO evidence_checkpoints (tree_size, root_hash, note, signed_at) VALUES (?,?,?,?)";

  /**
   * Inserts a batch's leaves and the signed checkpoint that covers them in the caller's transaction (the store
   * writer's batch): a committed checkpoint never names leaves the store does not have. On PostgreSQL ({@code
   * shared}) one round trip: the leaves as arrays unnested into one insert, sent with the checkpoint's insert.
   */
  static void insertWithCheckpoint(Connection c, List<Row> rows, long treeSize, byte[] root, String note, long at, boolean shared)
      throws SQLException {
    if (shared) {
      try (PreparedStatement ps = c.prepareStatement(
          "INSERT INTO evidence_entries (leaf_index, task_id, event_type, entry, leaf_hash, appended_at)"
              + " SELECT leaf.*, ? FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[]) AS leaf; "
              + INSERT_CHECKPOINT)) {
        ps.setLong(1, at);
        ps.setArray(2, c.createArrayOf("bigint", rows.stream().map(Row::leafIndex).toArray()));
        ps.setArray(3, c.createArrayOf("text", rows.stream().map(Row::taskId).toArray()));
        ps.setArray(4, c.createArrayOf("text", rows.stream().map(Row::eventType).toArray()));
        ps.setArray(5, c.createArrayOf("text", rows.stream().map(Row::entry).toArray()));
        ps.setArray(6, c.createArrayOf("text", rows.stream().map(r -> HEX.formatHex(r.leafHash())).toArray()));
        bindCheckpoint(ps, 7, treeSize, root, note, at);
        ps.execute();
      }
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO evidence_entries (leaf_index, task_id, event_type, entry, leaf_hash, appended_at)"
            + " VALUES (?,?,?,?,?,?)")) {
      for (Row r : rows) {
        ps.setLong(1, r.leafIndex());
        ps.setString(2, r.taskId());
        ps.setString(3, r.eventType());
        ps.setString(4, r.entry());
        ps.setString(5, HEX.formatHex(r.leafHash()));
        ps.setLong(6, at);
        ps.addBatch();
      }
      ps.executeBatch();
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_CHECKPOINT)) {
      bindCheckpoint(ps, 1, treeSize, root, note, at);
      ps.executeUpdate();
    }
  }

  private static void bindCheckpoint(PreparedStatement ps, int i, long treeSize, byte[] root, String note, long signedAt)
      throws SQLException {
    ps.setLong(i, treeSize);
    ps.setString(i + 1, HEX.formatHex(root));
    ps.setString(i + 2, note);
    ps.setLong(i + 3, signedAt);
  }

  /**
   * Inserts the checkpoint of the empty log unless one is stored: replicas starting together on a new log each sign
   * it (the same note, as Ed25519 signatures are deterministic) and one insert wins.
   */
  static void insertEmptyCheckpoint(Connection c, byte[] root, String note, long signedAt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO evidence_checkpoints (tree_size, root_hash, note, signed_at) VALUES (0,?,?,?)"
            + " ON CONFLICT (tree_size) DO NOTHING")) {
      ps.setString(1, HEX.formatHex(root));
      ps.setString(2, note);
      ps.setLong(3, signedAt);
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
