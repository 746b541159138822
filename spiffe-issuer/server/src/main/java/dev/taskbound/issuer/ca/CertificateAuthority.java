package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Function;

/**
 * The whole CA, built from configuration in one call: JCA provider, key manager, X.509 authority (generated root,
 * PEM intermediate or PKCS#11), JWT signing keys, minters, trust bundle and rotation. Call {@link #rotate} on a
 * schedule (every {@link #rotationInterval()}); it is cheap when nothing is due.
 */
public final class CertificateAuthority {
  static final Duration DEFAULT_ROOT_LIFETIME = Duration.ofDays(30);
  static final Duration DEFAULT_JWT_ROTATE_AFTER = Duration.ofHours(24);
  static final Duration DEFAULT_JWT_PREPARE_BEFORE = Duration.ofHours(1);
  static final Duration DEFAULT_X509_SVID_TTL = Duration.ofHours(1);
  static final Duration DEFAULT_JWT_SVID_TTL = Duration.ofMinutes(5);
  static final Duration MAX_REFRESH_HINT = Duration.ofMinutes(5);

  private final AuthoritySource<X509Authority> x509;
  private final AuthoritySource<JwtAuthority> jwt;
  private final X509SvidMinter x509Minter;
  private final JwtSvidMinter jwtMinter;
  private final BundleService bundle;
  private final Duration rotationInterval;

  private CertificateAuthority(
      AuthoritySource<X509Authority> x509, AuthoritySource<JwtAuthority> jwt, X509SvidMinter x509Minter,
      JwtSvidMinter jwtMinter, BundleService bundle, Duration rotationInterval) {
    this.x509 = x509;
    this.jwt = jwt;
    this.x509Minter = x509Minter;
    this.jwtMinter = jwtMinter;
    this.bundle = bundle;
    this.rotationInterval = rotationInterval;
  }

  /** Builds the CA and brings its authorities up to date; the PKCS#11 PIN is read from the process environment. */
  public static CertificateAuthority create(IssuerConfig config, Store store, Clock clock) {
    return create(config, store, clock, System::getenv);
  }

  /** As {@link #create(IssuerConfig, Store, Clock)}, reading environment variables through {@code env}. */
  public static CertificateAuthority create(
      IssuerConfig config, Store store, Clock clock, Function<String, String> env) {
    Objects.requireNonNull(config.issuerUrl(), "issuer_url must be known before the CA is built");
    CryptoProviders.install();
    KeyManager keys = KeyManagers.forConfig(config, store, env, clock);
    IssuerConfig.Ttl ttl = config.ttl();
    Duration x509Ttl = orDefault(ttl.x509Svid(), DEFAULT_X509_SVID_TTL);
    Duration jwtTtl = orDefault(ttl.jwtSvid(), DEFAULT_JWT_SVID_TTL);

    IssuerConfig.Jwt jwtConfig = config.jwt();
    Duration jwtRotate = orDefault(jwtConfig.rotateAfter(), DEFAULT_JWT_ROTATE_AFTER);
    Duration jwtPrepare = orDefault(jwtConfig.prepareBefore(), DEFAULT_JWT_PREPARE_BEFORE);
    AuthorityRotation<JwtAuthority> jwt =
        new AuthorityRotation<>(
            new JwtKeyKind(KeyAlgorithm.forJws(jwtConfig.algorithm()), jwtTtl), store, keys, jwtRotate, jwtPrepare);

    IssuerConfig.Ca ca = config.ca();
    String source = ca.source() == null ? "generated" : ca.source();
    AuthoritySource<X509Authority> x509;
    Duration shortestPrepare = jwtPrepare;
    switch (source) {
      case "generated" -> {
        Duration lifetime = orDefault(ca.rootLifetime(), DEFAULT_ROOT_LIFETIME);
        Duration rotate = orDefault(ca.rotateAfter(), lifetime.dividedBy(2));
        // Publish the next root a sixth of its term ahead, so verifiers have it long before it signs.
        Duration prepare = rotate.dividedBy(6);
        if (lifetime.compareTo(rotate.plus(prepare).plus(x509Ttl)) < 0) {
          throw new IllegalArgumentException(
              "ca.root_lifetime must exceed ca.rotate_after + " + prepare + " preparation + ttl.x509_svid");
        }
        x509 = new AuthorityRotation<>(
            new GeneratedRootKind(config.trustDomain(), KeyAlgorithm.EC_P256, lifetime), store, keys, rotate, prepare);
        shortestPrepare = min(shortestPrepare, prepare);
      }
      case "pem" -> x509 = new ConfiguredX509Authority(PemCaSource.load(ca), store, keys);
      case "pkcs11" -> x509 = new ConfiguredX509Authority(Pkcs11CaSource.load(ca, env), store, keys);
      default -> throw new IllegalArgumentException("ca.source must be generated, pem or pkcs11, not " + source);
    }

    // Verifiers must refetch at least twice inside the shortest preparation window to see a successor in time.
    Duration refreshHint = max(Duration.ofSeconds(1), min(MAX_REFRESH_HINT, shortestPrepare.dividedBy(2)));
    BundleService bundle = new BundleService(store, config.trustDomain(), refreshHint);
    CertificateAuthority authority =
        new CertificateAuthority(
            x509, jwt, new BcX509SvidMinter(x509::active, clock, config.issuerUrl()),
            new NimbusJwtSvidMinter(jwt::active, clock, config.issuerUrl(), jwtTtl), bundle, refreshHint);
    authority.rotate(clock.instant());
    return authority;
  }

  public X509SvidMinter x509Minter() {
    return x509Minter;
  }

  public JwtSvidMinter jwtMinter() {
    return jwtMinter;
  }

  /** The trust bundle: {@code current()} for the record, {@code bundleJson()} for {@code GET /bundle}. */
  public BundleService bundle() {
    return bundle;
  }

  /** The X.509 authority signing now (for the CRL signer). */
  public X509Authority x509Authority() {
    return x509.active();
  }

  /** Prepares, activates, retires and removes authorities as {@code now} requires; true when the bundle changed. */
  public boolean rotate(Instant now) {
    boolean x509Changed = x509.rotate(now);
    boolean jwtChanged = jwt.rotate(now);
    return x509Changed || jwtChanged;
  }

  /** How often {@link #rotate} should run: as often as verifiers are told to refresh the bundle. */
  public Duration rotationInterval() {
    return rotationInterval;
  }

  private static Duration orDefault(Duration value, Duration fallback) {
    return value != null ? value : fallback;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
