package dev.taskbound.issuer.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/** Prepared statements kept per connection, on a real SQLite file in WAL mode. */
class StatementCacheTest {
  private static final String INSERT = "INSERT INTO t (k, v) VALUES (?, ?)";
  private static final String SELECT = "SELECT v FROM t WHERE k = ?";

  @TempDir Path dir;
  private StatementCache cache;

  @BeforeEach
  void setUp() throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    config.setBusyTimeout(50); // a checkpoint kept from finishing by a reader answers busy after this
    SQLiteDataSource source = new SQLiteDataSource(config);
    source.setUrl("jdbc:sqlite:" + dir.resolve("cache.db"));
    cache = new StatementCache(source, 2);
    try (Connection c = cache.getConnection(); Statement s = c.createStatement()) {
      s.execute("PRAGMA wal_autocheckpoint = 0");
      s.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT)");
    }
  }

  private static PreparedStatement underlying(PreparedStatement ps) throws SQLException {
    return ps.unwrap(PreparedStatement.class);
  }

  @Test
  void theSameSqlIsCompiledOnceAndAnswersWithItsNewParameters() throws SQLException {
    try (Connection c = cache.getConnection()) {
      PreparedStatement first;
      try (PreparedStatement ps = c.prepareStatement(INSERT)) {
        first = underlying(ps);
        ps.setString(1, "a");
        ps.setString(2, "1");
        assertThat(ps.executeUpdate()).isEqualTo(1);
      }
      try (PreparedStatement ps = c.prepareStatement(INSERT)) {
        assertThat(underlying(ps)).isSameAs(first);
        ps.setString(1, "b");
        ps.setString(2, "2");
        ps.executeUpdate();
      }
      assertThat(value(c, "a")).isEqualTo("1");
      assertThat(value(c, "b")).isEqualTo("2");
      // Parameters do not outlive their holder: an unbound one is NULL, not the last caller's value.
      try (PreparedStatement ps = c.prepareStatement(SELECT); ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).isFalse();
      }
    }
  }

  @Test
  void aStatementOpenElsewhereIsNotHandedOutTwice() throws SQLException {
    try (Connection c = cache.getConnection();
        PreparedStatement one = c.prepareStatement(SELECT);
        PreparedStatement two = c.prepareStatement(SELECT)) {
      assertThat(underlying(one)).isNotSameAs(underlying(two));
      insert(c, "a", "1");
      insert(c, "b", "2");
      one.setString(1, "a");
      two.setString(1, "b");
      try (ResultSet ra = one.executeQuery(); ResultSet rb = two.executeQuery()) {
        assertThat(ra.next()).isTrue();
        assertThat(rb.next()).isTrue();
        assertThat(ra.getString(1)).isEqualTo("1");
        assertThat(rb.getString(1)).isEqualTo("2");
      }
    }
  }

  @Test
  void aResultSetLeftOpenIsClosedOnHandBackSoTheLogCanStartOver() throws SQLException {
    try (Connection reader = cache.getConnection(); Connection writer = cache.getConnection()) {
      insert(writer, "a", "1");
      insert(writer, "b", "2");
      PreparedStatement ps = reader.prepareStatement("SELECT v FROM t");
      ResultSet rs = ps.executeQuery();
      assertThat(rs.next()).isTrue();
      // Mid-read, the reader holds a snapshot: the log cannot be copied to its end and truncated.
      assertThat(truncate(writer)).isEqualTo(1);
      ps.close(); // its result set never closed by the caller
      assertThat(rs.isClosed()).isTrue();
      assertThat(truncate(writer)).isZero();
      assertThat(StatementCache.idleSql(reader)).contains("SELECT v FROM t");
    }
  }

  @Test
  void aClosedStatementRefusesUseAndClosingTheConnectionClosesWhatItKept() throws SQLException {
    PreparedStatement kept;
    Connection c = cache.getConnection();
    PreparedStatement ps = c.prepareStatement(SELECT);
    kept = underlying(ps);
    ps.close();
    assertThat(ps.isClosed()).isTrue();
    assertThatThrownBy(() -> ps.setString(1, "a")).isInstanceOf(SQLException.class).hasMessageContaining("closed");
    assertThat(kept.isClosed()).isFalse();
    c.close();
    assertThat(kept.isClosed()).isTrue();
  }

  @Test
  void keepsAtMostItsCapacityClosingTheLeastRecentlyUsed() throws SQLException {
    try (Connection c = cache.getConnection()) {
      PreparedStatement oldest;
      try (PreparedStatement ps = c.prepareStatement("SELECT 1")) {
        oldest = underlying(ps);
      }
      c.prepareStatement("SELECT 2").close();
      c.prepareStatement("SELECT 3").close();
      assertThat(StatementCache.idleSql(c)).containsExactly("SELECT 2", "SELECT 3");
      assertThat(oldest.isClosed()).isTrue();
    }
  }

  private static void insert(Connection c, String k, String v) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setString(1, k);
      ps.setString(2, v);
      ps.executeUpdate();
    }
  }

  private static String value(Connection c, String k) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SELECT)) {
      ps.setString(1, k);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** SQLite's answer to a TRUNCATE checkpoint: 1 when a reader kept it from finishing. */
  private static int truncate(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("PRAGMA wal_checkpoint(TRUNCATE)")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
