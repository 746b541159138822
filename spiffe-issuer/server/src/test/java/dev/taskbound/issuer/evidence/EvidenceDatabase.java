package dev.taskbound.issuer.evidence;


import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * A fresh store for one evidence test ({@link ScratchDatabase}: a new SQLite file or a new PostgreSQL schema), plus
 * the failure injection the evidence tests need (a trigger that makes one leaf's insert fail).
 */
final class EvidenceDatabase implements AutoCloseable {
  enum Kind { SQLITE, POSTGRESQL }

  final Kind kind;
  final JdbcStore store;
  private final ScratchDatabase scratch;

  private EvidenceDatabase(Kind kind, ScratchDatabase scratch) {
    this.kind = kind;
    this.scratch = scratch;
    this.store = scratch.store;
  }

  static EvidenceDatabase open(Kind kind, Path dir) {
    return new EvidenceDatabase(kind, kind == Kind.SQLITE ? ScratchDatabase.sqlite(dir) : ScratchDatabase.postgres());
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

  @Override
  public void close() {
    scratch.close();
  }
}
