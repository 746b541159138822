package dev.taskbound.issuer.store;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh, isolated store on one database for one test: a new SQLite file, or a new PostgreSQL schema on the
 * server named by {@code TASKBOUND_TEST_PG_URL} (dropped again on close).
 */
final class TestDatabase implements AutoCloseable {
  static final String PG_URL_ENV = "TASKBOUND_TEST_PG_URL";

  final JdbcStore store;
  private final String pgSchema;

  private TestDatabase(JdbcStore store, String pgSchema) {
    this.store = store;
    this.pgSchema = pgSchema;
  }

  static TestDatabase open(Database database, Path tempDir) {
    if (database == Database.SQLITE) {
      return new TestDatabase(Stores.openSqlite(tempDir.resolve("store-" + UUID.randomUUID() + ".db")), null);
    }
    return openPostgres(url -> Stores.openPostgres(url, null, null));
  }

  /** Opens a store through {@code opener}, given the test server's URL narrowed to a new, empty schema. */
  static TestDatabase openPostgres(Function<String, JdbcStore> opener) {
    String url = postgresUrlOrSkip();
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
    execute(url, "CREATE SCHEMA " + schema);
    String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try {
      return new TestDatabase(opener.apply(schemaUrl), schema);
    } catch (RuntimeException e) {
      execute(url, "DROP SCHEMA " + schema + " CASCADE");
      throw e;
    }
  }

  /** The test server's JDBC URL; skips the calling test when there is none, unless PostgreSQL is required. */
  static String postgresUrlOrSkip() {
    String url = System.getenv(PG_URL_ENV);
    if (url == null || url.isBlank()) {
      if ("1".equals(System.getenv("TASKBOUND_REQUIRE_PG"))) {
        fail(PG_URL_ENV + " is not set but TASKBOUND_REQUIRE_PG=1: start a server with scripts/lib/pg.sh");
      }
      Assumptions.abort(
          PG_URL_ENV + " is not set: PostgreSQL cases skipped (`. scripts/lib/pg.sh && pg_start` to run them)");
    }
    return url;
  }

  private static void execute(String url, String sql) {
    try (Connection c = DriverManager.getConnection(url);
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("test database setup failed: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    store.close();
    if (pgSchema != null) {
      execute(System.getenv(PG_URL_ENV), "DROP SCHEMA " + pgSchema + " CASCADE");
    }
  }
}
