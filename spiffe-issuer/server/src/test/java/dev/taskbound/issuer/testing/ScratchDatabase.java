package dev.taskbound.issuer.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;

/**
 * An empty, migrated store for one test: a fresh SQLite file, or a fresh schema on the PostgreSQL server that
 * {@code scripts/test} starts (dropped on close). Without that server, PostgreSQL cases are skipped, or fail when
 * {@code TASKBOUND_REQUIRE_PG=1}.
 */
public final class ScratchDatabase implements AutoCloseable {
  public static final String PG_URL_ENV = "TASKBOUND_TEST_PG_URL";

  public final JdbcStore store;
  private final String pgUrl;
  private final String pgSchema;

  private ScratchDatabase(JdbcStore store, String pgUrl, String pgSchema) {
    this.store = store;
    this.pgUrl = pgUrl;
    this.pgSchema = pgSchema;
  }

  public static ScratchDatabase sqlite(Path dir) {
    return new ScratchDatabase(Stores.openSqlite(dir.resolve("store-" + UUID.randomUUID() + ".db")), null, null);
  }

  public static ScratchDatabase postgres() {
    return postgres(url -> Stores.openPostgres(url, null, null));
  }

  /** Opens a store through {@code opener}, given the test server's URL narrowed to a new, empty schema. */
  public static ScratchDatabase postgres(Function<String, JdbcStore> opener) {
    String url = postgresUrlOrSkip();
    String schema = "t_" + UUID.randomUUID().toString().replace("-", "");
    execute(url, "CREATE SCHEMA " + schema);
    String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    try {
      return new ScratchDatabase(opener.apply(schemaUrl), url, schema);
    } catch (RuntimeException e) {
      execute(url, "DROP SCHEMA " + schema + " CASCADE");
      throw e;
    }
  }

  /** The JDBC URL of this PostgreSQL scratch schema, for issuers opened on it (replicas, proxies). */
  public String schemaUrl() {
    if (pgSchema == null) {
      throw new IllegalStateException("not a PostgreSQL scratch database");
    }
    return pgUrl + (pgUrl.contains("?") ? "&" : "?") + "currentSchema=" + pgSchema;
  }

  public boolean isPostgres() {
    return pgSchema != null;
  }

  /** The test server's JDBC URL; skips the calling test when there is none, unless PostgreSQL is required. */
  public static String postgresUrlOrSkip() {
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
      execute(pgUrl, "DROP SCHEMA " + pgSchema + " CASCADE");
    }
  }
}
