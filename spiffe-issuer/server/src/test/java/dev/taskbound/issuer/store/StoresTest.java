package dev.taskbound.issuer.store;

import dev.taskbound.issuer.testing.ScratchDatabase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.config.IssuerConfig;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Choosing and opening the database from the issuer configuration. */
class StoresTest {
  @TempDir Path dataDir;

  @Test
  void withoutPostgresUrlTheStoreIsSqliteInTheDataDir() {
    IssuerConfig.StoreConfig cfg = new IssuerConfig.StoreConfig(null, null, null, null);

    try (JdbcStore store = Stores.open(cfg, dataDir)) {
      assertThat(store.database()).isEqualTo(Database.SQLITE);
      assertThat(store.bundleSequence()).isZero();
    }
    assertThat(dataDir.resolve(Stores.DEFAULT_SQLITE_FILE)).exists();
  }

  @Test
  void relativeSqlitePathResolvesAgainstTheDataDir() {
    IssuerConfig.StoreConfig cfg = new IssuerConfig.StoreConfig(Path.of("state/issuer.db"), null, null, null);

    Stores.open(cfg, dataDir).close();

    assertThat(dataDir.resolve("state/issuer.db")).exists();
  }

  @Test
  void postgresPasswordComesFromTheNamedVariable() {
    Map<String, String> env = Map.of("TB_TEST_PG_PASSWORD", "s3cret");

    // The test server trusts loopback, so any password works; what matters is that the named variable is read.
    try (ScratchDatabase db =
        ScratchDatabase.postgres(
            url -> Stores.open(new IssuerConfig.StoreConfig(null, url, null, "TB_TEST_PG_PASSWORD"), dataDir,
                env::get))) {
      assertThat(db.store.database()).isEqualTo(Database.POSTGRESQL);
      assertThat(db.store.bundleSequence()).isZero();
    }
  }

  @Test
  void missingPasswordVariableFailsNamingTheVariableOnly() {
    IssuerConfig.StoreConfig cfg =
        new IssuerConfig.StoreConfig(null, "jdbc:postgresql://127.0.0.1:1/x", "u", "TB_MISSING_PASSWORD");

    assertThatThrownBy(() -> Stores.open(cfg, dataDir, name -> null))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("TB_MISSING_PASSWORD");
  }

  @Test
  void unreachablePostgresIsAStoreException() {
    assertThatThrownBy(() -> Stores.openPostgres("jdbc:postgresql://127.0.0.1:1/none?connectTimeout=2", "u", "pw"))
        .isInstanceOf(StoreException.class)
        .hasMessageNotContaining("pw");
  }
}
