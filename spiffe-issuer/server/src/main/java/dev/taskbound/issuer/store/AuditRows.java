package dev.taskbound.issuer.store;

import dev.taskbound.api.TaskOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * What the audit report reads: narrow projections of tasks and credentials over a period, streamed rather than
 * listed (a quarter of CI can be millions of rows), and the approval requests of the period.
 */
public final class AuditRows {
  /** How many rows a streamed read fetches at a time (PostgreSQL streams only inside a transaction). */
  private static final int FETCH = 1000;

  private AuditRows() {}

  /**
   * A task begun in the period: how it was attested ({@code attestor}), on which CI ({@code platform}: the context's
   * {@code platform}, else the attestor), and how it ended ({@code outcome}, null while active).
   */
  public record Task(String taskId, String attestor, String platform, TaskState state, TaskOutcome outcome, Instant createdAt, Instant endedAt) {}

  /** A credential of a task begun in the period, with that task's end (null while the task is active). */
  public record Credential(
      String taskId, CredentialKind kind, Instant notBefore, Instant expiresAt, Instant revokedAt, Instant taskEndedAt) {}

  static void tasks(Connection c, Instant from, Instant to, Consumer<Task> each) throws SQLException {
    streamed(c, () -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT task_id, attestor, context_json, state, outcome, created_at, ended_at FROM tasks"
                  + " WHERE created_at >= ? AND created_at < ? ORDER BY created_at, task_id")) {
        ps.setFetchSize(FETCH);
        Columns.setInstant(ps, 1, from);
        Columns.setInstant(ps, 2, to);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String attestor = rs.getString("attestor");
            String platform = Columns.stringMap(rs.getString("context_json")).get("platform");
            each.accept(
                new Task(
                    rs.getString("task_id"),
                    attestor,
                    platform == null || platform.isBlank() ? attestor : platform,
                    Columns.textEnum(TaskState.class, rs.getString("state")),
                    Columns.textEnum(TaskOutcome.class, rs.getString("outcome")),
                    Columns.getInstant(rs, "created_at"),
                    Columns.getInstant(rs, "ended_at")));
          }
        }
      }
    });
  }

  static void credentials(Connection c, Instant from, Instant to, Consumer<Credential> each) throws SQLException {
    streamed(c, () -> {
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT c.task_id, c.kind, c.not_before, c.expires_at, c.revoked_at, t.ended_at"
                  + " FROM credentials c JOIN tasks t ON t.task_id = c.task_id"
                  + " WHERE t.created_at >= ? AND t.created_at < ? ORDER BY t.created_at, c.task_id")) {
        ps.setFetchSize(FETCH);
        Columns.setInstant(ps, 1, from);
        Columns.setInstant(ps, 2, to);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            each.accept(
                new Credential(
                    rs.getString("task_id"),
                    CredentialKind.valueOf(rs.getString("kind").toUpperCase(Locale.ROOT).replace('-', '_')),
                    Columns.getInstant(rs, "not_before"),
                    Columns.getInstant(rs, "expires_at"),
                    Columns.getInstant(rs, "revoked_at"),
                    Columns.getInstant(rs, "ended_at")));
          }
        }
      }
    });
  }

  /** The ids of approval requests made in [from, to), oldest first. */
  static List<String> approvalIds(Connection c, Instant from, Instant to) throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT approval_id FROM approval_requests WHERE created_at >= ? AND created_at < ? ORDER BY created_at, approval_id")) {
      Columns.setInstant(ps, 1, from);
      Columns.setInstant(ps, 2, to);
      List<String> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getString(1));
        }
      }
      return out;
    }
  }

  private interface Read {
    void run() throws SQLException;
  }

  /**
   * Runs a read so that its rows stream. PostgreSQL's driver streams (by the fetch size) only inside a transaction:
   * one that is rolled back, it never writes. SQLite streams as it is; a transaction there would be BEGIN IMMEDIATE
   * (the store's mode) and hold the write lock for the whole read.
   */
  private static void streamed(Connection c, Read read) throws SQLException {
    if (!c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT).contains("postgres")) {
      read.run();
      return;
    }
    c.setAutoCommit(false);
    try {
      read.run();
    } finally {
      c.rollback();
      c.setAutoCommit(true);
    }
  }
}
