package dev.taskbound.issuer.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.testing.ScratchDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteDataSource;

/**
 * The listed migrations ({@link Migrations}) are exactly the scripts Flyway's class-path scan finds, with the same
 * names and checksums, and Flyway validates a schema as it did with the scan: a changed script fails the open, the
 * migrations of a newer issuer are ignored (Flyway's default, see docs/deploy.md, "Upgrading").
 */
class MigrationsTest {
  @TempDir Path dir;

  @Test
  void aSqliteStoreMigratedFromTheListIsWhatTheScanWouldHaveMade() {
    Path file = dir.resolve("listed.db");
    Stores.openSqlite(file).close();

    // Fails on a script the scan finds that is not applied (not listed), one applied that the scan does not find,
    // and a checksum or description that differs.
    scanning(sqlite(file), Database.SQLITE).load().validate();
  }

  @Test
  void aPostgresStoreMigratedFromTheListIsWhatTheScanWouldHaveMade() {
    try (ScratchDatabase db = ScratchDatabase.postgres()) {
      scanning(db.store.dataSource(), Database.POSTGRESQL).load().validate();
    }
  }

  @Test
  void aStoreTheScanMigratedOpens() {
    Path file = dir.resolve("scanned.db");
    scanning(sqlite(file), Database.SQLITE).load().migrate();

    try (JdbcStore store = Stores.openSqlite(file)) {
      assertThat(store.bundleSequence()).isZero();
    }
  }

  @Test
  void anAppliedScriptThatChangedFailsTheOpen() throws SQLException {
    Path file = dir.resolve("taskbound.db");
    Stores.openSqlite(file).close();
    execute(file, "UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '3'");

    assertThatThrownBy(() -> Stores.openSqlite(file))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("migrating the sqlite store failed")
        .hasMessageContaining("checksum mismatch for migration version 3");
  }

  @Test
  void theMigrationsOfANewerIssuerAreIgnored() throws SQLException {
    Path file = dir.resolve("taskbound.db");
    Stores.openSqlite(file).close();
    execute(file, "CREATE TABLE from_the_future (id INTEGER PRIMARY KEY)");
    execute(
        file,
        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by,"
            + " execution_time, success) VALUES (999, '999', 'from the future', 'SQL', 'V999__from_the_future.sql', 999,"
            + " 'newer-issuer', 1, 1)");

    try (JdbcStore store = Stores.openSqlite(file)) {
      assertThat(store.bundleSequence()).isZero();
    }
  }

  /** Flyway as the store configured it before the list: scanning the class path. */
  private static FluentConfiguration scanning(DataSource dataSource, Database database) {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration", "classpath:" + Migrations.directory(database))
        .failOnMissingLocations(true);
  }

  private static DataSource sqlite(Path file) {
    SQLiteDataSource source = new SQLiteDataSource();
    source.setUrl("jdbc:sqlite:" + file);
    return source;
  }

  private static void execute(Path file, String sql) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }
}
