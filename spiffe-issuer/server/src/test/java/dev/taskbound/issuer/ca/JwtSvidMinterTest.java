package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.SignedJWT;
import io.spiffe.exception.JwtSvidException;
import io.spiffe.svid.jwtsvid.JwtSvid;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtSvidMinterTest {
  @TempDir Path dataDir;
  private final MutableClock clock = new MutableClock();
  private final TestStores stores = new TestStores();

  @AfterEach
  void closeStores() {
    stores.close();
  }

  private CertificateAuthority ca(String algorithm) {
    return CertificateAuthority.create(
        TestCa.config(dataDir, TestCa.generatedCa(null, null), new dev.taskbound.issuer.config.IssuerConfig.Jwt(
            algorithm, null, null)),
        stores.open(dataDir), clock);
  }

  @Test
  void es256TokenValidatesInJavaSpiffeAgainstOurBundle() throws Exception {
    CertificateAuthority ca = ca(null);
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plusSeconds(120), TestCa.facts());

    JwtSvid svid = JwtSvid.parseAndValidate(issued.token(), TestCa.jwtBundle(ca.bundle().bundleJson()), Set.of("vault"));

    assertThat(svid.getSpiffeId().toString()).isEqualTo(TestCa.WORKLOAD.toString());
    assertThat(svid.getAudience()).containsExactly("vault");
    assertThat(svid.getClaims()).containsEntry("iss", TestCa.ISSUER_URL).containsEntry("jti", issued.jti());
    assertThat(svid.getClaims().get(JwtSvidMinter.TASK_CLAIM)).isEqualTo(TestCa.facts());
  }

  @Test
  void headerCarriesKidAlgAndTypJwt() throws Exception {
    CertificateAuthority ca = ca("ES256");
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "aws", clock.instant().plusSeconds(60), Map.of());
    SignedJWT jwt = SignedJWT.parse(issued.token());
    assertThat(jwt.getHeader().getAlgorithm().getName()).isEqualTo("ES256");
    assertThat(jwt.getHeader().getType().getType()).isEqualTo("JWT");
    assertThat(ca.bundle().current().jwtAuthorities())
        .anySatisfy(jwk -> assertThat(jwk.getKeyID()).isEqualTo(jwt.getHeader().getKeyID()));
    var claims = jwt.getJWTClaimsSet();
    assertThat(claims.getIssueTime().toInstant()).isEqualTo(issued.issuedAt());
    assertThat(claims.getExpirationTime().toInstant()).isEqualTo(issued.expiresAt());
    assertThat(claims.getJWTID()).hasSizeGreaterThanOrEqualTo(22);
  }

  @Test
  void rs256ModeSignsWithRsaAndValidatesInJavaSpiffe() throws Exception {
    CertificateAuthority ca = ca("RS256");
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "gcp", clock.instant().plusSeconds(120), Map.of());
    assertThat(SignedJWT.parse(issued.token()).getHeader().getAlgorithm().getName()).isEqualTo("RS256");
    JwtSvid svid = JwtSvid.parseAndValidate(issued.token(), TestCa.jwtBundle(ca.bundle().bundleJson()), Set.of("gcp"));
    assertThat(svid.getSpiffeId().toString()).isEqualTo(TestCa.WORKLOAD.toString());
  }

  @Test
  void wrongAudienceIsRejectedByJavaSpiffe() throws Exception {
    CertificateAuthority ca = ca(null);
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plusSeconds(120), Map.of());
    var bundle = TestCa.jwtBundle(ca.bundle().bundleJson());
    assertThatThrownBy(() -> JwtSvid.parseAndValidate(issued.token(), bundle, Set.of("aws")))
        .isInstanceOf(JwtSvidException.class);
  }

  @Test
  void expiredTokenIsRejectedByJavaSpiffe() throws Exception {
    CertificateAuthority ca = ca(null);
    // Minted ten minutes ago with a one-minute life: java-spiffe checks exp against the real clock.
    clock.set(Instant.now().minus(Duration.ofMinutes(10)));
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plusSeconds(60), Map.of());
    var bundle = TestCa.jwtBundle(ca.bundle().bundleJson());
    assertThatThrownBy(() -> JwtSvid.parseAndValidate(issued.token(), bundle, Set.of("vault")))
        .isInstanceOf(JwtSvidException.class)
        .hasMessageContaining("expired");
  }

  @Test
  void lifetimeIsCappedAtTheConfiguredJwtSvidTtl() {
    CertificateAuthority ca = ca(null);
    JwtSvidIssued issued = ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plus(Duration.ofDays(1)), Map.of());
    assertThat(Duration.between(issued.issuedAt(), issued.expiresAt())).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void missingAudienceIsRefused() {
    CertificateAuthority ca = ca(null);
    assertThatThrownBy(() -> ca.jwtMinter().mint(TestCa.WORKLOAD, " ", clock.instant().plusSeconds(60), Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void jtisAreTimeOrderedWith80RandomBits() {
    CertificateAuthority ca = ca(null);
    byte[] first = jti(ca);
    byte[] sameMillisecond = jti(ca);
    clock.advance(Duration.ofMillis(1));
    byte[] later = jti(ca);

    assertThat(first).hasSize(TimeOrderedId.LENGTH);
    assertThat(TimeOrderedId.millis(first)).isEqualTo(clock.instant().toEpochMilli() - 1);
    assertThat(TimeOrderedId.millis(later)).isEqualTo(clock.instant().toEpochMilli());
    // Same millisecond: only the random part tells them apart.
    assertThat(java.util.Arrays.copyOf(sameMillisecond, 6)).isEqualTo(java.util.Arrays.copyOf(first, 6));
    assertThat(sameMillisecond).isNotEqualTo(first);
    assertThat(java.util.Arrays.compareUnsigned(later, first)).isPositive();
    assertThat(java.util.Arrays.compareUnsigned(later, sameMillisecond)).isPositive();
  }

  private byte[] jti(CertificateAuthority ca) {
    String jti = ca.jwtMinter().mint(TestCa.WORKLOAD, "vault", clock.instant().plusSeconds(60), Map.of()).jti();
    return java.util.Base64.getUrlDecoder().decode(jti);
  }
}
