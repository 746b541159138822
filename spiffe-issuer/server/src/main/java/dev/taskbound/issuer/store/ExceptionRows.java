package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the standing-exception register ({@code standing_exceptions}, its reviews and the evidence outbox of
 * operator commands). Changes are conditional {@code UPDATE}s whose row counts decide, so a review racing a
 * revocation (here or on another replica) never resurrects a revoked exception, and each Shared Signals event is
 * queued by exactly one caller.
 */
final class ExceptionRows {
  static final String COLUMNS =
      "exception_id, identity, scope, owner, reason, created_at, created_by, created_by_issuer, expires_at,"
          + " last_reviewed_at, last_reviewed_by, last_reviewed_by_issuer, last_review_note, revoked_at, revoked_by,"
          + " revoked_by_issuer, revoke_reason, version, expired_signalled_at, unreviewed_signalled_at";

  private ExceptionRows() {}

  static void insert(Connection c, ExceptionRecord e) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO standing_exceptions (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setString(1, e.exceptionId());
      ps.setString(2, e.identity());
      ps.setString(3, e.scope());
      ps.setString(4, e.owner());
      ps.setString(5, e.reason());
      Columns.setInstant(ps, 6, e.createdAt());
      ps.setString(7, e.createdBy().name());
      ps.setString(8, e.createdBy().issuer());
      Columns.setInstant(ps, 9, e.expiresAt());
      Columns.setInstant(ps, 10, e.lastReviewedAt());
      ps.setString(11, e.lastReviewedBy() == null ? null : e.lastReviewedBy().name());
      ps.setString(12, e.lastReviewedBy() == null ? null : e.lastReviewedBy().issuer());
      ps.setString(13, e.lastReviewNote());
      Columns.setInstant(ps, 14, e.revokedAt());
      ps.setString(15, e.revokedBy() == null ? null : e.revokedBy().name());
      ps.setString(16, e.revokedBy() == null ? null : e.revokedBy().issuer());
      ps.setString(17, e.revokeReason());
      ps.setInt(18, e.version());
      Columns.setInstant(ps, 19, e.expiredSignalledAt());
      Columns.setInstant(ps, 20, e.unreviewedSignalledAt());
      ps.executeUpdate();
    }
  }

  /**
   * Records a review of the exception as it was at {@code version} (so {@code previousExpiresAt}, read with that
   * version, is exact), optionally with a new expiry, and keeps it in the review history. Without a new expiry the
   * exception must not have expired at {@code at}. False, and nothing changed, when it is revoked, expired, or was
   * changed since {@code version}.
   */
  static boolean review(
      Connection c, String exceptionId, int version, ExceptionRecord.Actor by, String note, Instant previousExpiresAt,
      Instant newExpiresAt, Instant at) throws SQLException {
    // Two statements rather than "? IS NULL" tricks: PostgreSQL cannot type a parameter used only in IS NULL.
    String sql =
        newExpiresAt == null
            ? "UPDATE standing_exceptions SET last_reviewed_at = ?, last_reviewed_by = ?, last_reviewed_by_issuer = ?,"
                + " last_review_note = ?, unreviewed_signalled_at = NULL, version = version + 1"
                + " WHERE exception_id = ? AND version = ? AND revoked_at IS NULL AND expires_at > ?"
            : "UPDATE standing_exceptions SET last_reviewed_at = ?, last_reviewed_by = ?, last_reviewed_by_issuer = ?,"
                + " last_review_note = ?, unreviewed_signalled_at = NULL, version = version + 1,"
                + " expires_at = ?, expired_signalled_at = NULL"
                + " WHERE exception_id = ? AND version = ? AND revoked_at IS NULL";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      Columns.setInstant(ps, i++, at);
      ps.setString(i++, by.name());
      ps.setString(i++, by.issuer());
      ps.setString(i++, note);
      if (newExpiresAt != null) {
        Columns.setInstant(ps, i++, newExpiresAt);
      }
      ps.setString(i++, exceptionId);
      ps.setInt(i++, version);
      if (newExpiresAt == null) {
        Columns.setInstant(ps, i, at);
      }
      if (ps.executeUpdate() == 0) {
        return false;
      }
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO standing_exception_reviews (exception_id, version, reviewed_at, reviewed_by, reviewed_by_issuer,"
                + " note, previous_expires_at, expires_at) VALUES (?,?,?,?,?,?,?,?)")) {
      ps.setString(1, exceptionId);
      ps.setInt(2, version + 1);
      Columns.setInstant(ps, 3, at);
      ps.setString(4, by.name());
      ps.setString(5, by.issuer());
      ps.setString(6, note);
      Columns.setInstant(ps, 7, previousExpiresAt);
      Columns.setInstant(ps, 8, newExpiresAt != null ? newExpiresAt : previousExpiresAt);
      ps.executeUpdate();
    }
    return true;
  }

  /** Revokes an exception that is not revoked yet (expired or not); false, and nothing changed, otherwise. */
  static boolean revoke(Connection c, String exceptionId, ExceptionRecord.Actor by, String reason, Instant at)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE standing_exceptions SET revoked_at = ?, revoked_by = ?, revoked_by_issuer = ?, revoke_reason = ?,"
                + " version = version + 1 WHERE exception_id = ? AND revoked_at IS NULL")) {
      Columns.setInstant(ps, 1, at);
      ps.setString(2, by.name());
      ps.setString(3, by.issuer());
      ps.setString(4, reason);
      ps.setString(5, exceptionId);
      return ps.executeUpdate() == 1;
    }
  }

  /**
   * Remembers that the event for {@code state} ({@code expired} or {@code unreviewed}) was queued for the exception as it was at {@code version}: true for exactly one
   * caller, and only while the exception is unrevoked, unchanged since and not yet signalled for it.
   */
  static boolean markSignalled(Connection c, String exceptionId, int version, ExceptionState state, Instant at)
      throws SQLException {
    String column =
        switch (state) {
          case EXPIRED -> "expired_signalled_at";
          case UNREVIEWED -> "unreviewed_signalled_at";
          default -> throw new IllegalArgumentException("no Shared Signals event for an exception " + state.wire());
        };
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE standing_exceptions SET " + column + " = ? WHERE exception_id = ? AND version = ?"
                + " AND revoked_at IS NULL AND " + column + " IS NULL")) {
      Columns.setInstant(ps, 1, at);
      ps.setString(2, exceptionId);
      ps.setInt(3, version);
      return ps.executeUpdate() == 1;
    }
  }

  static Optional<ExceptionRecord> find(Connection c, String exceptionId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM standing_exceptions WHERE exception_id = ?")) {
      ps.setString(1, exceptionId);
      List<ExceptionRecord> found = read(ps);
      return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }
  }

  /** Newest first, revoked ones included. */
  static List<ExceptionRecord> list(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT " + COLUMNS + " FROM standing_exceptions ORDER BY created_at DESC, exception_id LIMIT ?")) {
      ps.setInt(1, limit);
      return read(ps);
    }
  }

  /** Reviews made in [from, to), oldest first. */
  static List<ExceptionReview> reviews(Connection c, Instant from, Instant to) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT exception_id, version, reviewed_at, reviewed_by, reviewed_by_issuer, note, previous_expires_at, expires_at"
                + " FROM standing_exception_reviews WHERE reviewed_at >= ? AND reviewed_at < ?"
                + " ORDER BY reviewed_at, exception_id, version")) {
      Columns.setInstant(ps, 1, from);
      Columns.setInstant(ps, 2, to);
      List<ExceptionReview> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new ExceptionReview(
                  rs.getString("exception_id"),
                  rs.getInt("version"),
                  Columns.getInstant(rs, "reviewed_at"),
                  new ExceptionRecord.Actor(rs.getString("reviewed_by_issuer"), rs.getString("reviewed_by")),
                  rs.getString("note"),
                  Columns.getInstant(rs, "previous_expires_at"),
                  Columns.getInstant(rs, "expires_at")));
        }
      }
      return out;
    }
  }

  // ---- the evidence outbox of operator commands --------------------------------------------------------------

  /**
   * Keeps the evidence entry of the change just made to {@code exceptionId} (run after it, in its transaction: the
   * row's version is the change's).
   */
  static int insertPendingEvidence(Connection c, String exceptionId, String type, String entry, Instant at)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO standing_exception_evidence (exception_id, version, event_type, entry, created_at)"
                + " SELECT exception_id, version, ?, ?, ? FROM standing_exceptions WHERE exception_id = ?")) {
      ps.setString(1, type);
      ps.setString(2, entry);
      Columns.setInstant(ps, 3, at);
      ps.setString(4, exceptionId);
      return ps.executeUpdate();
    }
  }

  /** Oldest first: a command's add is logged before its review. */
  static List<PendingExceptionEvidence> pendingEvidence(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT exception_id, version, event_type, entry, created_at FROM standing_exception_evidence"
                + " ORDER BY created_at, exception_id, version LIMIT ?")) {
      ps.setInt(1, limit);
      List<PendingExceptionEvidence> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new PendingExceptionEvidence(
                  rs.getString("exception_id"), rs.getInt("version"), rs.getString("event_type"), rs.getString("entry"),
                  Columns.getInstant(rs, "created_at")));
        }
      }
      return out;
    }
  }

  /** Takes one pending entry: true for exactly one caller. */
  static boolean takePendingEvidence(Connection c, String exceptionId, int version) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("DELETE FROM standing_exception_evidence WHERE exception_id = ? AND version = ?")) {
      ps.setString(1, exceptionId);
      ps.setInt(2, version);
      return ps.executeUpdate() == 1;
    }
  }

  private static List<ExceptionRecord> read(PreparedStatement ps) throws SQLException {
    List<ExceptionRecord> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(
            new ExceptionRecord(
                rs.getString("exception_id"),
                rs.getString("identity"),
                rs.getString("scope"),
                rs.getString("owner"),
                rs.getString("reason"),
                Columns.getInstant(rs, "created_at"),
                actor(rs.getString("created_by_issuer"), rs.getString("created_by")),
                Columns.getInstant(rs, "expires_at"),
                Columns.getInstant(rs, "last_reviewed_at"),
                actor(rs.getString("last_reviewed_by_issuer"), rs.getString("last_reviewed_by")),
                rs.getString("last_review_note"),
                Columns.getInstant(rs, "revoked_at"),
                actor(rs.getString("revoked_by_issuer"), rs.getString("revoked_by")),
                rs.getString("revoke_reason"),
                rs.getInt("version"),
                Columns.getInstant(rs, "expired_signalled_at"),
                Columns.getInstant(rs, "unreviewed_signalled_at")));
      }
    }
    return rows;
  }

  private static ExceptionRecord.Actor actor(String issuer, String name) {
    return name == null ? null : new ExceptionRecord.Actor(issuer, name);
  }
}
