package dev.taskbound.issuer.evidence;

import static org.junit.jupiter.api.Assertions.fail;

import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.Stores;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * A fresh store for one evidence test, opened through {@link Stores} like the issuer does: a new SQLite file, or a
 * new schema on the PostgreSQL server named by {@code TASKBOUND_TEST_PG_URL} (the convention of the store tests'
 * TestDatabase: skipped when unset unless {@code TASKBOUND_REQUIRE_PG=1}).
 */
final class EvidenceDatabase implements AutoCloseable {
  enum Kind { SQLITE, POSTGRESQL }

  final Kind kind;
  final JdbcStore store;
  private final String pgUrl;
  private final String pgSchema;

  private EvidenceDatabase(Kind kind, JdbcStore store, String pgUrl, String pgSchema) {
    this.kind = kind;
    this.store = store;
    this.pgUrl = pgUrl;
    this.pgSchema = pgSchema;
  }

  static EvidenceDatabase open(Kind kind, Path dir) {
    if (kind == Kind.SQLITE) {
      return new EvidenceDatabase(kind, Stores.openSqlite(dir.resolve("evidence-" + UUID.randomUUID() + ".db")), null, null);
    }
    String url = System.getenv("TASKBOUND_TEST_PG_URL");
    if (url == null || url.isBlank()) {
      if ("1".equals(System.getenv("TASKBOUND_REQUIRE_PG"))) {
        fail("TASKBOUND_TEST_PG_URL is not set but TASKBOUND_REQUIRE_PG=1");
      }
      Assumptions.abort("TASKBOUND_TEST_PG_URL is not set: PostgreSQL cases skipped");
    }
    String schema = "e_" + UUID.randomUUID().toString().replace("-", "");
    execute(url, "CREATE SCHEMA " + schema);
    String schemaUrl = url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    return new EvidenceDatabase(kind, Stores.openPostgres(schemaUrl, null, null), url, schema);
  }

  DataSource pool() {
    return store.dataSource();
  }

  /** Makes every insert of leaf {@code leafIndex} fail inside the database, as a broken disk or a constraint would. */
  void failInsertsOfLeaf(long leafIndex) {
    if (kind == Kind.SQLITE) {
      run("CREATE TRIGGER fail_leaf BEFORE INSERT ON evidence_entries WHEN NEW.leaf_index = " + leafIndex
          + " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    } else {
      run("CREATE FUNCTION fail_leaf() RETURNS trigger AS $$ BEGIN IF NEW.leaf_index = " + leafIndex
          + " THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      run("CREATE TRIGGER fail_leaf BEFORE INSERT ON evidence_entries FOR EACH ROW EXECUTE FUNCTION fail_leaf()");
    }
  }

  void healInserts() {
    run("DROP TRIGGER fail_leaf" + (kind == Kind.SQLITE ? "" : " ON evidence_entries"));
  }

  long rows(String sql) {
    try (Connection c = pool().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  void run(String sql) {
    try (Connection c = pool().getConnection();
        Statement s = c.createStatement()) {
      c.setAutoCommit(true);
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
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
