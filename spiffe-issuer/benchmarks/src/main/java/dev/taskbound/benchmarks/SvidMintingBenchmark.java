package dev.taskbound.benchmarks;

import dev.taskbound.issuer.ca.CertificateAuthority;
import dev.taskbound.issuer.ca.CryptoProviders;
import dev.taskbound.issuer.ca.JwtSvidIssued;
import dev.taskbound.issuer.ca.KeyAlgorithm;
import dev.taskbound.issuer.ca.SpiffeId;
import dev.taskbound.issuer.ca.X509SvidIssued;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.store.Stores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Mints one X.509-SVID and one JWT-SVID (ES256, EC P-256 CA) with each JCA provider first in line. The CA keys
 * are generated after the provider is moved first, so each provider signs with its own key objects.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SvidMintingBenchmark {
  private static final SpiffeId ID =
      SpiffeId.parse("spiffe://bench.example.org/ci/github/acme/app/run/1/attempt/1/job/build");

  @Param({"AmazonCorrettoCryptoProvider", "BC", "SunEC"})
  public String provider;

  private Path dataDir;
  private Store store;
  private CertificateAuthority ca;
  private PublicKey taskKey;

  @Setup(Level.Trial)
  public void setUp(BenchmarkParams params) throws IOException {
    CryptoProviders.install();
    CryptoProviders.bouncyCastle();
    Provider first = Security.getProvider(provider);
    if (first == null) {
      throw new IllegalStateException("provider " + provider + " is not available in this JVM");
    }
    Security.removeProvider(provider);
    Security.insertProviderAt(first, 1);

    dataDir = Files.createTempDirectory("taskbound-bench");
    store = Stores.openSqlite(dataDir.resolve("taskbound.db"));
    IssuerConfig config =
        new IssuerConfig(
            "bench.example.org", "https://issuer.bench.example.org", "127.0.0.1", 0, dataDir, null,
            new IssuerConfig.Ca("generated", null, null, null, null, null, null),
            new IssuerConfig.Jwt("ES256", null, null),
            new IssuerConfig.StoreConfig(null, null, null, null),
            new IssuerConfig.Ttl(
                Duration.ofHours(1), Duration.ofHours(6), Duration.ofHours(1), Duration.ofMinutes(5),
                Duration.ofMinutes(2)),
            false);
    ca = CertificateAuthority.create(config, store, Clock.systemUTC());
    taskKey = KeyAlgorithm.EC_P256.generate().getPublic();
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(dataDir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }

  @Benchmark
  public X509SvidIssued mintX509Svid() {
    return ca.x509Minter().mint(ID, taskKey, Instant.now().plusSeconds(3600));
  }

  @Benchmark
  public JwtSvidIssued mintJwtSvid() {
    return ca.jwtMinter().mint(ID, "vault", Instant.now().plusSeconds(300), Map.of("task_id", "t-1"));
  }
}
