package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.JdbcStore.CREDENTIAL_COLUMNS;
import static dev.taskbound.issuer.store.JdbcStore.CREDENTIAL_VALUES;
import static dev.taskbound.issuer.store.JdbcStore.GRANT_COLUMNS;
import static dev.taskbound.issuer.store.JdbcStore.GRANT_VALUES;
import static dev.taskbound.issuer.store.JdbcStore.TASK_COLUMNS;
import static dev.taskbound.issuer.store.JdbcStore.TASK_VALUES;

import dev.taskbound.api.TaskOutcome;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A begin and an end on PostgreSQL, one round trip each: every write of a batch waits for each round trip of every
 * other, batches one at a time (issue 13). The same rows and row-count answers as {@link JdbcStore}'s
 * statement-by-statement forms, which SQLite (no round trips) keeps.
 */
final class PostgresTaskWrites {
  private PostgresTaskWrites() {}

  /**
   * Spends {@code use} (none: null), then inserts the task, its exchange grant and its credentials (issue order from
   * 1): one statement of data-modifying CTEs. Each insert hangs off the one before it, so when the attestation was
   * already spent nothing is inserted; the spending itself is the same single-winner statement as on its own. True
   * when the task was inserted.
   */
  static boolean begin(
      Connection c, TaskRecord task, ExchangeGrant grant, List<CredentialRecord> credentials, AttestationUse use,
      Instant now) throws SQLException {
    StringBuilder sql = new StringBuilder("WITH ");
    if (use != null) {
      sql.append("spent AS (").append(JdbcStore.spend(use)).append(" RETURNING 1), ");
    }
    sql.append("task AS (INSERT INTO tasks (").append(TASK_COLUMNS).append(") SELECT ").append(TASK_VALUES);
    if (use != null) {
      sql.append(" WHERE EXISTS (SELECT 1 FROM spent)");
    }
    sql.append(" RETURNING task_id), granted AS (INSERT INTO task_exchange_grants (").append(GRANT_COLUMNS)
        .append(") SELECT ").append(GRANT_VALUES).append(" FROM task)");
    if (!credentials.isEmpty()) {
      sql.append(", issued AS (INSERT INTO credentials (issue_order, ").append(CREDENTIAL_COLUMNS)
          .append(") SELECT issue.* FROM task, (VALUES ");
      for (int i = 0; i < credentials.size(); i++) {
        sql.append(i == 0 ? "(" : ", (").append(CREDENTIAL_VALUES).append(')');
      }
      sql.append(") AS issue)");
    }
    sql.append(" SELECT count(*) FROM task");
    try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
      int i = use == null ? 1 : JdbcStore.bindSpend(ps, 1, use, now);
      i = JdbcStore.bindTask(ps, i, task);
      i = JdbcStore.bindGrant(ps, i, grant);
      int order = 1;
      for (CredentialRecord cred : credentials) {
        i = JdbcStore.bindCredential(ps, i, order++, cred);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) == 1;
      }
    }
  }

  /**
   * Ends {@code taskId} if it is active and revokes its credentials (one statement: the revocation hangs off the
   * end), then reads the task and its credentials: three statements sent together, answered together.
   */
  static JdbcStore.Ended end(Connection c, String taskId, TaskOutcome outcome, String reason, Instant endedAt)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "WITH ended AS (" + JdbcStore.END_ACTIVE + " RETURNING task_id),"
                + " revoked AS (UPDATE credentials SET revoked_at = ?"
                + " WHERE task_id IN (SELECT task_id FROM ended) AND revoked_at IS NULL)"
                + " SELECT count(*) FROM ended;"
                + " SELECT " + TASK_COLUMNS + " FROM tasks WHERE task_id = ?;"
                + " SELECT " + CREDENTIAL_COLUMNS + " FROM credentials WHERE task_id = ? ORDER BY issue_order")) {
      int i = JdbcStore.bindEnd(ps, 1, taskId, outcome, reason, endedAt);
      Columns.setInstant(ps, i, endedAt);
      ps.setString(i + 1, taskId);
      ps.setString(i + 2, taskId);
      ps.execute();
      boolean endedNow;
      try (ResultSet rs = ps.getResultSet()) {
        rs.next();
        endedNow = rs.getInt(1) == 1;
      }
      Optional<TaskRecord> task;
      nextResult(ps);
      try (ResultSet rs = ps.getResultSet()) {
        task = JdbcStore.tasks(rs).stream().findFirst();
      }
      nextResult(ps);
      try (ResultSet rs = ps.getResultSet()) {
        return new JdbcStore.Ended(endedNow, task, JdbcStore.credentials(rs));
      }
    }
  }

  private static void nextResult(PreparedStatement ps) throws SQLException {
    if (!ps.getMoreResults()) {
      throw new SQLException("expected one more result set from the end's statements");
    }
  }
}
