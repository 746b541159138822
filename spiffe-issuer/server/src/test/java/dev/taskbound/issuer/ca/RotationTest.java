package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ApiJson;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.Store;
import io.spiffe.exception.AuthorityNotFoundException;
import io.spiffe.svid.jwtsvid.JwtSvid;
import java.nio.file.Path;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotationTest {
  private static final Duration JWT_ROTATE = Duration.ofHours(1);
  private static final Duration JWT_PREPARE = Duration.ofMinutes(10);
  private static final Duration ROOT_LIFETIME = Duration.ofDays(10);
  private static final Duration ROOT_ROTATE = Duration.ofDays(2);

  @TempDir Path dataDir;
  private final MutableClock clock = new MutableClock();
  private final TestStores stores = new TestStores();
  private Store store;
  private IssuerConfig config;
  private CertificateAuthority ca;

  @BeforeEach
  void setUp() {
    store = stores.open(dataDir);
    config =
        TestCa.config(
            dataDir, TestCa.generatedCa(ROOT_LIFETIME, ROOT_ROTATE),
            new IssuerConfig.Jwt("ES256", JWT_ROTATE, JWT_PREPARE));
    ca = CertificateAuthority.create(config, store, clock);
  }

  @AfterEach
  void closeStores() {
    stores.close();
  }

  @Test
  void jwtKeyIsPreparedActivatedRetiredAndFinallyRemoved() throws Exception {
    Instant start = clock.instant();
    long sequence = sequence();
    String firstKid = kid(mintJwt());
    JwtSvidIssued fromFirstKey = mintJwt();
    assertThat(jwtKids()).containsExactly(firstKid);

    // Preparation: the successor is published before it signs anything.
    assertThat(ca.rotate(clock.advance(JWT_ROTATE.minus(JWT_PREPARE)))).isTrue();
    assertThat(sequence()).isGreaterThan(sequence);
    sequence = sequence();
    assertThat(jwtKids()).hasSize(2).contains(firstKid);
    assertThat(kid(mintJwt())).isEqualTo(firstKid);
    assertThat(ca.rotate(clock.instant())).as("nothing due twice").isFalse();
    assertThat(sequence()).isEqualTo(sequence);

    // Activation: the prepared key signs; the old one stays published and its tokens still validate.
    clock.set(start.plus(JWT_ROTATE));
    assertThat(ca.rotate(clock.instant())).isTrue();
    assertThat(sequence()).isGreaterThan(sequence);
    sequence = sequence();
    String secondKid = kid(mintJwt());
    assertThat(secondKid).isNotEqualTo(firstKid);
    assertThat(jwtKids()).containsExactlyInAnyOrder(firstKid, secondKid);
    assertThat(JwtSvid.parseAndValidate(fromFirstKey.token(), jwtBundle(), Set.of("vault")).getSpiffeId())
        .hasToString(TestCa.WORKLOAD.toString());

    // Still needed while a token it signed may be unexpired (5 min TTL + 1 min leeway).
    ca.rotate(clock.advance(Duration.ofMinutes(5)));
    assertThat(jwtKids()).contains(firstKid);

    ca.rotate(clock.advance(Duration.ofMinutes(1)));
    assertThat(jwtKids()).doesNotContain(firstKid).contains(secondKid);
    assertThat(sequence()).isGreaterThan(sequence);
    var bundle = jwtBundle();
    assertThatThrownBy(() -> JwtSvid.parseAndValidate(fromFirstKey.token(), bundle, Set.of("vault")))
        .isInstanceOf(AuthorityNotFoundException.class);
  }

  @Test
  void activeJwtKeySurvivesARestart() throws Exception {
    String kid = kid(mintJwt());
    CertificateAuthority restarted = CertificateAuthority.create(config, store, clock);
    JwtSvidIssued issued = restarted.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plusSeconds(60), Map.of());
    assertThat(kid(issued)).isEqualTo(kid);
  }

  @Test
  void rootIsPreparedActivatedAndKeptUntilItExpires() throws Exception {
    Instant start = clock.instant();
    X509Certificate firstRoot = ca.x509Authority().root();
    X509SvidIssued fromFirstRoot =
        ca.x509Minter().mint(TestCa.WORKLOAD, TestCa.taskKey().getPublic(), start.plus(Duration.ofMinutes(30)));
    long sequence = sequence();

    ca.rotate(clock.set(start.plus(ROOT_ROTATE).minus(ROOT_ROTATE.dividedBy(6))));
    assertThat(ca.bundle().current().x509Authorities()).hasSize(2).contains(firstRoot);
    assertThat(ca.x509Authority().root()).isEqualTo(firstRoot);
    assertThat(sequence()).isGreaterThan(sequence);

    ca.rotate(clock.set(start.plus(ROOT_ROTATE)));
    X509Certificate secondRoot = ca.x509Authority().root();
    assertThat(secondRoot).isNotEqualTo(firstRoot);
    X509SvidIssued fromSecondRoot =
        ca.x509Minter().mint(TestCa.WORKLOAD, TestCa.taskKey().getPublic(), clock.instant().plusSeconds(600));
    Set<X509Certificate> published = new HashSet<>(ca.bundle().current().x509Authorities());
    assertThat(published).containsExactlyInAnyOrder(firstRoot, secondRoot);
    assertChainsTo(fromSecondRoot, published, clock.instant());
    assertChainsTo(fromFirstRoot, published, start);

    // The old root is published until its own NotAfter, which caps everything it signed.
    ca.rotate(clock.set(firstRoot.getNotAfter().toInstant().minusSeconds(1)));
    assertThat(ca.bundle().current().x509Authorities()).contains(firstRoot);
    ca.rotate(clock.set(firstRoot.getNotAfter().toInstant()));
    assertThat(ca.bundle().current().x509Authorities()).doesNotContain(firstRoot).contains(secondRoot);
  }

  @Test
  void bundleJsonListsPreparedAndRetiredAuthoritiesWithSequenceAndRefreshHint() throws Exception {
    ca.rotate(clock.advance(JWT_ROTATE.minus(JWT_PREPARE)));
    JsonNode json = ApiJson.mapper().readTree(ca.bundle().bundleJson());
    assertThat(json.get("spiffe_sequence").asLong()).isEqualTo(store.bundleSequence());
    assertThat(json.get("spiffe_refresh_hint").asLong()).isEqualTo(300);
    int jwt = 0;
    int x509 = 0;
    for (JsonNode key : json.get("keys")) {
      switch (key.get("use").asText()) {
        case "jwt-svid" -> {
          jwt++;
          assertThat(key.has("kid")).isTrue();
          assertThat(key.has("d")).as("no private part").isFalse();
        }
        case "x509-svid" -> {
          x509++;
          assertThat(key.has("kid")).isFalse();
          assertThat(key.get("x5c")).hasSize(1);
        }
        default -> throw new AssertionError("unexpected use " + key.get("use"));
      }
    }
    assertThat(jwt).isEqualTo(2);
    assertThat(x509).isEqualTo(1);
  }

  private static void assertChainsTo(X509SvidIssued svid, Set<X509Certificate> roots, Instant at) throws Exception {
    Set<TrustAnchor> anchors = new HashSet<>();
    roots.forEach(root -> anchors.add(new TrustAnchor(root, null)));
    PKIXParameters params = new PKIXParameters(anchors);
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX")
        .validate(CertificateFactory.getInstance("X.509").generateCertPath(svid.chain()), params);
  }

  private JwtSvidIssued mintJwt() {
    return ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plus(Duration.ofMinutes(5)), Map.of());
  }

  private static String kid(JwtSvidIssued issued) throws Exception {
    return SignedJWT.parse(issued.token()).getHeader().getKeyID();
  }

  private Set<String> jwtKids() {
    Set<String> kids = new HashSet<>();
    ca.bundle().current().jwtAuthorities().forEach(jwk -> kids.add(jwk.getKeyID()));
    return kids;
  }

  private io.spiffe.bundle.jwtbundle.JwtBundle jwtBundle() throws Exception {
    return TestCa.jwtBundle(ca.bundle().bundleJson());
  }

  private long sequence() {
    return ca.bundle().current().sequence();
  }
}
