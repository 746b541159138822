package dev.taskbound.issuer.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The SQL of the approval aggregate ({@code approval_requests}, {@code approval_grants}). State changes are
 * conditional {@code UPDATE}s whose row counts decide, so concurrent approvers, a withdrawal and the expiry sweep
 * never overwrite each other, across replicas too.
 */
final class ApprovalRows {
  static final String COLUMNS =
      "approval_id, task_id, state, approvers, min_approvers, requester, request_token_sha256, attestor,"
          + " attestation_sha256, context_json, public_key_jwk, public_key_thumbprint, audiences_json,"
          + " requested_ttl_ms, spiffe_id, policy_rule, policy_version, ttl_cap_ms, downstream_audiences_json,"
          + " max_exchanges, created_at, expires_at, decided_at, decided_by, reason";
  /** How long an approved request stays collectable at least, so a caller polling with back-off is not too late. */
  static final Duration COLLECT_WINDOW = Duration.ofMinutes(5);

  private ApprovalRows() {}

  static void insert(Connection c, ApprovalRecord a) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO approval_requests (" + COLUMNS + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setString(1, a.approvalId());
      ps.setString(2, a.taskId());
      ps.setString(3, Columns.enumText(a.state()));
      ps.setString(4, a.approvers());
      ps.setInt(5, a.minApprovers());
      ps.setString(6, a.requester());
      ps.setString(7, a.requestTokenSha256());
      ps.setString(8, a.attestor());
      ps.setString(9, a.attestationSha256());
      ps.setString(10, Columns.json(a.context()));
      ps.setString(11, a.publicKeyJwk());
      ps.setString(12, a.publicKeyThumbprint());
      ps.setString(13, Columns.json(a.audiences()));
      setMillis(ps, 14, a.requestedTtl());
      ps.setString(15, a.spiffeId());
      ps.setString(16, a.policyRule());
      ps.setString(17, a.policyVersion());
      setMillis(ps, 18, a.ttlCap());
      ps.setString(19, Columns.json(a.downstreamAudiences()));
      if (a.maxExchanges() == null) {
        ps.setNull(20, Types.INTEGER);
      } else {
        ps.setInt(20, a.maxExchanges());
      }
      Columns.setInstant(ps, 21, a.createdAt());
      Columns.setInstant(ps, 22, a.expiresAt());
      Columns.setInstant(ps, 23, a.decidedAt());
      ps.setString(24, a.decidedBy());
      ps.setString(25, a.reason());
      ps.executeUpdate();
    }
  }

  /**
   * Counts {@code approver}'s approval of an open, unexpired pending request; the request becomes approved when
   * enough distinct approvers did. Empty (nothing changed) when it is not pending any more, expired, or
   * {@code approver} already approved it; else the number of approvals now.
   */
  static Optional<Integer> grant(Connection c, String approvalId, String approver, Instant now) throws SQLException {
    // Touching the row first takes its lock (PostgreSQL) before the grants are counted.
    if (update(c, "UPDATE approval_requests SET state = state WHERE approval_id = ? AND state = 'pending' AND expires_at > ?",
        approvalId, now) == 0) {
      return Optional.empty();
    }
    try (PreparedStatement ps =
        c.prepareStatement(
            "INSERT INTO approval_grants (approval_id, approver, granted_at) VALUES (?, ?, ?)"
                + " ON CONFLICT (approval_id, approver) DO NOTHING")) {
      ps.setString(1, approvalId);
      ps.setString(2, approver);
      Columns.setInstant(ps, 3, now);
      if (ps.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    int granted = approvers(c, approvalId).size();
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE approval_requests SET state = 'approved', decided_at = ?,"
                + " expires_at = CASE WHEN expires_at < ? THEN ? ELSE expires_at END"
                + " WHERE approval_id = ? AND state = 'pending' AND min_approvers <= ?")) {
      Columns.setInstant(ps, 1, now);
      Columns.setInstant(ps, 2, now.plus(COLLECT_WINDOW));
      Columns.setInstant(ps, 3, now.plus(COLLECT_WINDOW));
      ps.setString(4, approvalId);
      ps.setInt(5, granted);
      ps.executeUpdate();
    }
    return Optional.of(granted);
  }

  /**
   * Closes an open request as {@code to}: denied (pending and unexpired only), withdrawn (pending or approved,
   * unexpired) or expired (open and past its expiry at {@code now}). False when it was not in such a state.
   */
  static boolean close(Connection c, String approvalId, ApprovalState to, String by, String reason, Instant now)
      throws SQLException {
    String condition =
        switch (to) {
          case DENIED -> "state = 'pending' AND expires_at > ?";
          case WITHDRAWN -> "state IN ('pending', 'approved') AND expires_at > ?";
          case EXPIRED -> "state IN ('pending', 'approved') AND expires_at <= ?";
          default -> throw new IllegalArgumentException("an approval request cannot be closed as " + to);
        };
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE approval_requests SET state = ?, decided_at = ?, decided_by = ?, reason = ?"
                + " WHERE approval_id = ? AND " + condition)) {
      ps.setString(1, Columns.enumText(to));
      Columns.setInstant(ps, 2, now);
      ps.setString(3, by);
      ps.setString(4, reason);
      ps.setString(5, approvalId);
      Columns.setInstant(ps, 6, now);
      return ps.executeUpdate() == 1;
    }
  }

  /** Marks an approved, unexpired request issued: true for exactly one collector. */
  static boolean issue(Connection c, String approvalId, Instant now) throws SQLException {
    return update(
            c, "UPDATE approval_requests SET state = 'issued' WHERE approval_id = ? AND state = 'approved' AND expires_at > ?",
            approvalId, now)
        == 1;
  }

  static Optional<ApprovalRecord> find(Connection c, String approvalId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + COLUMNS + " FROM approval_requests WHERE approval_id = ?")) {
      ps.setString(1, approvalId);
      List<ApprovalRecord> found = read(ps);
      return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }
  }

  /** Newest first; {@code state} null means any state. */
  static List<ApprovalRecord> list(Connection c, ApprovalState state, int limit) throws SQLException {
    String where = state == null ? "" : " WHERE state = ?";
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM approval_requests" + where + " ORDER BY created_at DESC, approval_id LIMIT ?")) {
      int i = 1;
      if (state != null) {
        ps.setString(i++, Columns.enumText(state));
      }
      ps.setInt(i, limit);
      return read(ps);
    }
  }

  /** Open requests past their expiry at {@code now}, oldest first. */
  static List<ApprovalRecord> overdue(Connection c, Instant now, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM approval_requests WHERE state IN ('pending', 'approved') AND expires_at <= ?"
                + " ORDER BY expires_at, approval_id LIMIT ?")) {
      Columns.setInstant(ps, 1, now);
      ps.setInt(2, limit);
      return read(ps);
    }
  }

  /** Requests an operator command changed whose evidence is still to be logged, oldest first. */
  static List<ApprovalRecord> evidencePending(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT " + COLUMNS + " FROM approval_requests WHERE evidence_pending = 1 ORDER BY created_at, approval_id LIMIT ?")) {
      ps.setInt(1, limit);
      return read(ps);
    }
  }

  static int setEvidencePending(Connection c, String approvalId, boolean pending) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE approval_requests SET evidence_pending = ? WHERE approval_id = ?")) {
      ps.setInt(1, pending ? 1 : 0);
      ps.setString(2, approvalId);
      return ps.executeUpdate();
    }
  }

  /** The approvers of a request so far, in the order they approved. */
  static List<String> approvers(Connection c, String approvalId) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement("SELECT approver FROM approval_grants WHERE approval_id = ? ORDER BY granted_at, approver")) {
      ps.setString(1, approvalId);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  /** Rows without their approvers (a read is one statement; the caller adds them). */
  private static List<ApprovalRecord> read(PreparedStatement ps) throws SQLException {
    List<ApprovalRecord> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        long ttl = rs.getLong("requested_ttl_ms");
        Duration requestedTtl = rs.wasNull() ? null : Duration.ofMillis(ttl);
        long cap = rs.getLong("ttl_cap_ms");
        Duration ttlCap = rs.wasNull() ? null : Duration.ofMillis(cap);
        int max = rs.getInt("max_exchanges");
        Integer maxExchanges = rs.wasNull() ? null : max;
        rows.add(
            new ApprovalRecord(
                rs.getString("approval_id"),
                rs.getString("task_id"),
                Columns.textEnum(ApprovalState.class, rs.getString("state")),
                rs.getString("approvers"),
                rs.getInt("min_approvers"),
                rs.getString("requester"),
                rs.getString("request_token_sha256"),
                rs.getString("attestor"),
                rs.getString("attestation_sha256"),
                Columns.stringMap(rs.getString("context_json")),
                rs.getString("public_key_jwk"),
                rs.getString("public_key_thumbprint"),
                Columns.stringList(rs.getString("audiences_json")),
                requestedTtl,
                rs.getString("spiffe_id"),
                rs.getString("policy_rule"),
                rs.getString("policy_version"),
                ttlCap,
                Columns.stringList(rs.getString("downstream_audiences_json")),
                maxExchanges,
                Columns.getInstant(rs, "created_at"),
                Columns.getInstant(rs, "expires_at"),
                Columns.getInstant(rs, "decided_at"),
                rs.getString("decided_by"),
                rs.getString("reason"),
                null));
      }
    }
    return rows;
  }

  static ApprovalRecord withApprovers(ApprovalRecord a, List<String> approvedBy) {
    return new ApprovalRecord(
        a.approvalId(), a.taskId(), a.state(), a.approvers(), a.minApprovers(), a.requester(), a.requestTokenSha256(),
        a.attestor(), a.attestationSha256(), a.context(), a.publicKeyJwk(), a.publicKeyThumbprint(), a.audiences(),
        a.requestedTtl(), a.spiffeId(), a.policyRule(), a.policyVersion(), a.ttlCap(), a.downstreamAudiences(),
        a.maxExchanges(), a.createdAt(), a.expiresAt(), a.decidedAt(), a.decidedBy(), a.reason(), approvedBy);
  }

  private static int update(Connection c, String sql, String id, Instant now) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, id);
      Columns.setInstant(ps, 2, now);
      return ps.executeUpdate();
    }
  }

  private static void setMillis(PreparedStatement ps, int index, Duration d) throws SQLException {
    if (d == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, d.toMillis());
    }
  }
}
