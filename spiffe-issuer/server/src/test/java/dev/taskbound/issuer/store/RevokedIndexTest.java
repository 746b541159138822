package dev.taskbound.issuer.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The index on revocation times holds revoked credentials only (V12), so a begin adds no entry to it; the lookups by
 * revocation time (the revocation feed, the CRL, metrics) must still find it, on both databases' planners.
 */
class RevokedIndexTest {
  private static final String LIST_REVOKED =
      "SELECT " + JdbcStore.CREDENTIAL_COLUMNS + " FROM credentials" + JdbcStore.REVOKED_IN_WINDOW + " ORDER BY revoked_at";
  private static final String COUNT_REVOKED = "SELECT COUNT(*) FROM credentials" + JdbcStore.REVOKED_IN_WINDOW;

  @TempDir Path dir;

  @Test
  void sqlitesPlannerLooksRevokedCredentialsUpInThePartialIndex() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.sqlite(dir);
        Connection c = db.store.dataSource().getConnection()) {
      assertThat(QueryPlans.rows(c, "SELECT sql FROM sqlite_master WHERE name = 'credentials_by_revoked_at'", 1))
          .singleElement().asString().contains("WHERE revoked_at IS NOT NULL");
      for (String query : List.of(LIST_REVOKED, COUNT_REVOKED)) {
        assertThat(QueryPlans.rows(c, "EXPLAIN QUERY PLAN " + query, 4, 1_000L, 2_000L)).as(query).anyMatch(step -> step.contains("credentials_by_revoked_at"));
      }
    }
  }

  @Test
  void postgresPlannerLooksRevokedCredentialsUpInAPartialIndex() throws SQLException {
    try (ScratchDatabase db = ScratchDatabase.postgres();
        Connection c = db.store.dataSource().getConnection()) {
      assertThat(QueryPlans.rows(c, "SELECT indexdef FROM pg_indexes WHERE indexname = 'credentials_by_revoked_at' AND schemaname = current_schema()", 1))
          .singleElement().asString().contains("WHERE (revoked_at IS NOT NULL)");
      try (Statement s = c.createStatement()) {
        // An empty table is read whole whatever the indexes: leave the planner the index or nothing.
        s.execute("SET enable_seqscan = off");
        s.execute("SET enable_bitmapscan = off");
      }
      // Either partial index on revoked credentials will do (the count may take the one by kind and expiry): what
      // must not happen is reading every credential ever issued.
      for (String query : List.of(LIST_REVOKED, COUNT_REVOKED)) {
        assertThat(QueryPlans.rows(c, "EXPLAIN " + query, 1, 1_000L, 2_000L)).as(query)
            .anyMatch(step -> step.contains("Index Scan using credentials_by_revoked_at") || step.contains("Index Scan using credentials_revoked_by_kind_expiry"))
            .noneMatch(step -> step.contains("Seq Scan"));
      }
    }
  }
}
