package dev.taskbound.issuer.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.taskbound.issuer.config.IssuerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.UnaryOperator;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * Opens the {@link Store}: builds the pool for SQLite or PostgreSQL and migrates the schema with Flyway
 * ({@link Migrations}: {@code db/migration} and the database's own directory) before the store is handed out.
 */
public final class Stores {
  /** SQLite file name inside the data directory when none is configured. */
  public static final String DEFAULT_SQLITE_FILE = "taskbound.db";

  // A writer waits this long for SQLite's write lock before failing; transactions are short, so a long wait
  // means something is stuck rather than busy.
  private static final int SQLITE_BUSY_TIMEOUT_MILLIS = 15_000;
  private static final int SQLITE_POOL_SIZE = 8;
  /** Compiled statements kept per SQLite connection (the store's hot paths use a few dozen distinct ones). */
  private static final int SQLITE_STATEMENTS_PER_CONNECTION = 64;
  private static final int POSTGRES_POOL_SIZE = 16;
  // Hikari refuses shorter connection and validation timeouts.
  private static final long MIN_CONNECTION_TIMEOUT_MILLIS = 250;
  /**
   * A statement whose connection goes silent (a database host gone, a network partition: no reset ever arrives)
   * fails after this; longer than any statement of ours takes, so only a dead connection ever reaches it.
   */
  public static final Duration POSTGRES_SOCKET_TIMEOUT = Duration.ofSeconds(30);

  private Stores() {}

  /**
   * Opens the store the configuration names: PostgreSQL when {@code postgres_url} is set (password from the
   * environment variable named by {@code password_env}, if any), else SQLite at {@code sqlite_path} (relative
   * paths resolve against {@code dataDir}) or {@code <dataDir>/taskbound.db}.
   */
  public static JdbcStore open(IssuerConfig.StoreConfig cfg, Path dataDir) {
    return open(cfg, dataDir, System::getenv);
  }

  static JdbcStore open(IssuerConfig.StoreConfig cfg, Path dataDir, UnaryOperator<String> env) {
    Objects.requireNonNull(cfg, "store config");
    if (cfg.postgres()) {
      return openPostgres(
          cfg.postgresUrl(), cfg.postgresUser(), password(cfg.passwordEnv(), env), cfg.connectionTimeout());
    }
    Objects.requireNonNull(dataDir, "data dir");
    Path file = cfg.sqlitePath() == null ? dataDir.resolve(DEFAULT_SQLITE_FILE) : dataDir.resolve(cfg.sqlitePath());
    return openSqlite(file);
  }

  /** Opens (creating when absent) a SQLite store: WAL, synchronous FULL, foreign keys, IMMEDIATE writes. */
  public static JdbcStore openSqlite(Path file) {
    Path absolute = file.toAbsolutePath();
    try {
      if (absolute.getParent() != null) {
        Files.createDirectories(absolute.getParent());
      }
    } catch (IOException e) {
      throw new StoreException("cannot create the directory of the SQLite store " + absolute, e);
    }
    SQLiteConfig sqlite = new SQLiteConfig();
    sqlite.setJournalMode(SQLiteConfig.JournalMode.WAL);
    sqlite.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    sqlite.enforceForeignKeys(true);
    sqlite.setBusyTimeout(SQLITE_BUSY_TIMEOUT_MILLIS);
    // Take the write lock at BEGIN: a deferred transaction that reads and then writes can fail with SQLITE_BUSY
    // on lock upgrade without ever waiting on busy_timeout.
    sqlite.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
    SQLiteDataSource source = new SQLiteDataSource(sqlite);
    source.setUrl("jdbc:sqlite:" + absolute);

    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("taskbound-sqlite");
    hikari.setDataSource(new StatementCache(source, SQLITE_STATEMENTS_PER_CONNECTION));
    hikari.setMaximumPoolSize(SQLITE_POOL_SIZE);
    // No checkpoint inside a commit: the store's WalCheckpointer runs them on a thread of its own.
    hikari.setConnectionInitSql("PRAGMA wal_autocheckpoint = 0");
    return migrated(hikari, Database.SQLITE);
  }

  /**
   * Opens a PostgreSQL store. {@code user} and {@code password} may be null when the URL carries them or the
   * server trusts the connection.
   */
  public static JdbcStore openPostgres(String jdbcUrl, String user, String password) {
    return openPostgres(jdbcUrl, user, password, IssuerConfig.StoreConfig.DEFAULT_CONNECTION_TIMEOUT);
  }

  /**
   * As {@link #openPostgres(String, String, String)}, failing a request that cannot get a connection within
   * {@code connectionTimeout} (Hikari's default is 30 s, which a client sees as a hang): opening a new connection
   * (TCP connect and login) is bounded by the same time, and a connection that stops answering mid-statement by
   * {@link #POSTGRES_SOCKET_TIMEOUT}.
   */
  public static JdbcStore openPostgres(String jdbcUrl, String user, String password, Duration connectionTimeout) {
    Objects.requireNonNull(jdbcUrl, "jdbcUrl");
    Objects.requireNonNull(connectionTimeout, "connectionTimeout");
    if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
      throw new StoreException("not a PostgreSQL JDBC URL (expected jdbc:postgresql:...)");
    }
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("taskbound-postgresql");
    hikari.setJdbcUrl(jdbcUrl);
    hikari.setUsername(user);
    hikari.setPassword(password);
    hikari.setMaximumPoolSize(POSTGRES_POOL_SIZE);
    long timeoutMillis = Math.max(MIN_CONNECTION_TIMEOUT_MILLIS, connectionTimeout.toMillis());
    hikari.setConnectionTimeout(timeoutMillis);
    // A pooled connection idle for a while is checked before use; the check must fit inside the wait.
    hikari.setValidationTimeout(Math.max(MIN_CONNECTION_TIMEOUT_MILLIS, timeoutMillis / 2));
    long timeoutSeconds = Math.max(1, (timeoutMillis + 999) / 1000);
    hikari.addDataSourceProperty("connectTimeout", Long.toString(timeoutSeconds));
    hikari.addDataSourceProperty("loginTimeout", Long.toString(timeoutSeconds));
    hikari.addDataSourceProperty("socketTimeout", Long.toString(POSTGRES_SOCKET_TIMEOUT.toSeconds()));
    // Server error details quote the offending values (token digests, ids); keep them out of exception messages.
    hikari.addDataSourceProperty("logServerErrorDetail", "false");
    return migrated(hikari, Database.POSTGRESQL);
  }

  private static JdbcStore migrated(HikariConfig hikari, Database database) {
    String name = database.name().toLowerCase(Locale.ROOT);
    // Flyway's set-up (its plugins' settings, copied through Jackson) needs no connection: it is built on a thread of
    // its own while the pool, started by its first use here, opens its first connection.
    HikariDataSource pool = new HikariDataSource();
    hikari.copyStateTo(pool);
    CompletableFuture<Flyway> flyway =
        CompletableFuture.supplyAsync(
            () -> Flyway.configure()
                .dataSource(pool)
                // Shared migrations, then those one database needs in its own dialect (V8: triggers); no Java ones.
                .resourceProvider(new Migrations(database))
                .javaMigrationClassProvider(List::of)
                .load(),
            task -> new Thread(task, "taskbound-flyway-setup").start());
    try {
      pool.getConnection().close();
    } catch (SQLException | RuntimeException e) {
      pool.close();
      throw new StoreException("cannot connect to the " + name + " store: " + e.getMessage(), e);
    }
    try {
      flyway.join().migrate();
    } catch (CompletionException e) {
      pool.close();
      if (e.getCause() instanceof FlywayException failed) {
        throw migrationFailed(name, failed);
      }
      throw e.getCause() instanceof RuntimeException thrown ? thrown : e;
    } catch (FlywayException e) {
      pool.close();
      throw migrationFailed(name, e);
    } catch (RuntimeException e) {
      pool.close();
      throw e;
    }
    return new JdbcStore(pool, database);
  }

  private static StoreException migrationFailed(String name, FlywayException e) {
    return new StoreException("migrating the " + name + " store failed: " + e.getMessage(), e);
  }


  private static String password(String passwordEnv, UnaryOperator<String> env) {
    if (passwordEnv == null || passwordEnv.isBlank()) {
      return null;
    }
    String value = env.apply(passwordEnv);
    if (value == null || value.isEmpty()) {
      throw new StoreException("environment variable " + passwordEnv + " (store password_env) is not set");
    }
    return value;
  }
}
