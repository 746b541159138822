package dev.taskbound.issuer.store;

import static dev.taskbound.issuer.store.Fixtures.T0;
import static dev.taskbound.issuer.store.Fixtures.activeTask;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issuer looks for ends without a kept receipt every few seconds, and tasks are never deleted: V13 keeps those
 * ends in a table of their own (triggers on the end and on the receipt), and the lookup starts from it, reaching each
 * task by its key, never reading every task that ever ended. StoreContract checks what the lookup returns.
 */
class EndsWithoutReceiptTest {
  private static final String PENDING = "SELECT task_id FROM ends_without_receipt ORDER BY task_id";

  @TempDir Path dir;

  @Test
  void sqlitesPlannerStartsFromTheEndsWithoutReceipt() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir);
        Connection c = db.store.dataSource().getConnection()) {
      assertThat(QueryPlans.rows(c, "EXPLAIN QUERY PLAN " + JdbcStore.ENDED_WITHOUT_RECEIPT, 4, 100))
          .anyMatch(step -> step.startsWith("SCAN p"))
          .anyMatch(step -> step.startsWith("SEARCH t USING INDEX sqlite_autoindex_tasks_1 (task_id=?)"))
          .noneMatch(step -> step.startsWith("SCAN t"));
    }
  }

  @Test
  void postgresPlannerStartsFromTheEndsWithoutReceipt() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.postgres();
        Connection c = db.store.dataSource().getConnection()) {
      // PostgreSQL plans by statistics: give it a history of ended tasks (all with receipts) and one end without.
      db.store.insertTask(activeTask("open", T0), List.of());
      db.store.endTask("open", TaskOutcome.FAILED, null, T0.plusSeconds(1));
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO tasks (" + JdbcStore.TASK_COLUMNS + ", end_receipt) SELECT "
            + JdbcStore.TASK_COLUMNS.replaceFirst("^task_id, state,", "'t' || g, 'ended',")
            + ", '{}' FROM tasks, generate_series(1, 5000) g WHERE task_id = 'open'");
        s.execute("ANALYZE tasks");
        s.execute("ANALYZE ends_without_receipt");
      }
      assertThat(QueryPlans.rows(c, "EXPLAIN " + JdbcStore.ENDED_WITHOUT_RECEIPT, 1, 100))
          .anyMatch(step -> step.contains("Index Scan using tasks_pkey on tasks t"))
          .noneMatch(step -> step.contains("Scan on tasks t") && !step.contains("tasks_pkey"));
      assertThat(db.store.endedWithoutReceipt(10)).extracting(TaskRecord::taskId).containsExactly("open");
    }
  }

  @Test
  void sqliteKeepsAnEndInTheTableUntilItsReceiptIsKept() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir)) {
      endsAndReceipts(db.store);
    }
  }

  @Test
  void postgresKeepsAnEndInTheTableUntilItsReceiptIsKept() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.postgres()) {
      endsAndReceipts(db.store);
    }
  }

  /** A store upgraded to V13 starts with the ends its tasks already had without a receipt. */
  @Test
  void anUpgradedSqliteStoreStartsWithTheEndsThatHadNoReceipt() throws SQLException {
    Path file = dir.resolve("taskbound.db");
    try (JdbcStore store = Stores.openSqlite(file)) {
      store.insertTask(activeTask("kept", T0), List.of());
      store.insertTask(activeTask("lost", T0), List.of());
      store.insertTask(activeTask("running", T0), List.of());
      store.endTask("kept", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(1));
      store.endTask("lost", TaskOutcome.FAILED, null, T0.plusSeconds(2));
      store.saveEndReceipt("kept", "{}");
      // Back to the schema before V13, rows and all.
      try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement()) {
        s.execute("DROP TRIGGER tasks_ended_without_receipt");
        s.execute("DROP TRIGGER tasks_inserted_ended_without_receipt");
        s.execute("DROP TRIGGER tasks_end_receipt_kept");
        s.execute("DROP TABLE ends_without_receipt");
        s.execute("DELETE FROM flyway_schema_history WHERE version = '13'");
      }
    }
    try (JdbcStore store = Stores.openSqlite(file);
        Connection c = store.dataSource().getConnection()) {
      assertThat(QueryPlans.rows(c, PENDING, 1)).containsExactly("lost");
      assertThat(store.endedWithoutReceipt(10)).extracting(TaskRecord::taskId).containsExactly("lost");
    }
  }

  private static void endsAndReceipts(JdbcStore store) throws SQLException {
    store.insertTask(activeTask("a", T0), List.of());
    store.insertTask(activeTask("b", T0), List.of());
    store.insertTask(activeTask("c", T0), List.of());
    try (Connection c = store.dataSource().getConnection()) {
      assertThat(QueryPlans.rows(c, PENDING, 1)).as("nothing ended").isEmpty();
      // No code inserts a task already ended, but the table holds every end without a receipt however it came.
      TaskRecord running = activeTask("d", T0);
      store.insertTask(
          new TaskRecord(
              "d", TaskState.ENDED, running.spiffeId(), running.attestor(), running.context(), running.policyRule(),
              running.policyVersion(), running.publicKeyJwk(), running.publicKeyThumbprint(), running.controlTokenSha256(),
              running.audiences(), T0, T0.plusSeconds(3600), null, T0.plusSeconds(9), TaskOutcome.SUCCEEDED, null),
          List.of());
      assertThat(QueryPlans.rows(c, PENDING, 1)).containsExactly("d");
      assertThat(store.saveEndReceipt("d", "{\"d\":1}")).isTrue();
      store.endTask("a", TaskOutcome.SUCCEEDED, null, T0.plusSeconds(1));
      store.endTask("b", TaskOutcome.FAILED, null, T0.plusSeconds(2));
      store.endTask("a", TaskOutcome.FAILED, null, T0.plusSeconds(3)); // already ended: no second row, no error
      assertThat(QueryPlans.rows(c, PENDING, 1)).containsExactly("a", "b");
      assertThat(store.saveEndReceipt("b", "{\"b\":1}")).isTrue();
      assertThat(QueryPlans.rows(c, PENDING, 1)).containsExactly("a");
      assertThat(store.saveEndReceipt("a", "{\"a\":1}")).isTrue();
      assertThat(QueryPlans.rows(c, PENDING, 1)).isEmpty();
      assertThat(store.endedWithoutReceipt(10)).isEmpty();
    }
  }
}
