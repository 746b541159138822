package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.testing.MutableClock;

import static dev.taskbound.issuer.attest.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitHubOidcAttestorTest {
  static final String TASKBOUND_URL = "https://taskbound.example.com";

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  FakeTokenService github;
  Store store;
  GitHubOidcAttestor attestor;

  @BeforeEach
  void start() throws Exception {
    github = new FakeTokenService("", clock);
    store = TestStores.open(dir);
    attestor = newAttestor(store);
  }

  @AfterEach
  void stop() {
    github.close();
    store.close();
  }

  private GitHubOidcAttestor newAttestor(Store s) {
    return new GitHubOidcAttestor(
        new GitHubAttestorConfig(github.issuer(), null), TASKBOUND_URL, s, clock, JwksFetcher.withDefaults());
  }

  private AttestedIdentity attest(String token) {
    return attestor.attest(new Attestation("github", token));
  }

  @Test
  void validTokenBecomesGitHubIdentityWithNormalisedContext() throws Exception {
    String token = github.mint(TASKBOUND_URL);

    AttestedIdentity identity = attest(token);

    assertThat(identity.platform()).isEqualTo("github");
    assertThat(identity.context())
        .containsEntry("platform", "github")
        .containsEntry("repository", "octo-org/octo-repo")
        .containsEntry("repository_owner", "octo-org")
        .containsEntry("repository_id", "74")
        .containsEntry("repository_owner_id", "65")
        .containsEntry("ref", "refs/heads/main")
        .containsEntry("ref_type", "branch")
        .containsEntry("sha", "example-sha-0123456789abcdef01234567")
        .containsEntry("workflow", "deploy")
        .containsEntry("workflow_ref", "octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main")
        .containsEntry("job_workflow_ref", "octo-org/ci/.github/workflows/build.yml@refs/tags/v1")
        .containsEntry("job", "octo-org/ci/.github/workflows/build.yml@refs/tags/v1")
        .containsEntry("run_id", "9876543210")
        .containsEntry("run_number", "42")
        .containsEntry("run_attempt", "2")
        .containsEntry("environment", "prod")
        .containsEntry("actor", "octocat")
        .containsEntry("actor_id", "12")
        .containsEntry("event_name", "push")
        .containsEntry("runner_environment", "github-hosted")
        .containsEntry("head_ref", "")
        .containsEntry("base_ref", "")
        .containsEntry("sub", "repo:octo-org/octo-repo:environment:prod")
        .doesNotContainKey("check_run_id");
    assertThat(identity.claims())
        .containsEntry("iss", github.issuer())
        .containsEntry("repository", "octo-org/octo-repo")
        .containsKey("jti");
    String expectedSha =
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    assertThat(identity.attestationSha256()).isEqualTo(expectedSha);
  }

  @Test
  void configuredAudienceReplacesTheIssuerUrl() {
    GitHubOidcAttestor custom =
        new GitHubOidcAttestor(
            new GitHubAttestorConfig(github.issuer(), "sts.example.com"), TASKBOUND_URL, store, clock,
            JwksFetcher.withDefaults());
    assertThat(custom.attest(new Attestation("github", github.mint("sts.example.com"))).context())
        .containsEntry("repository", "octo-org/octo-repo");
    assertRefused(custom, github.mint(TASKBOUND_URL), "audience (aud) does not include sts.example.com");
  }

  @Test
  void gitHubEnterpriseServerIssuerWithPathVerifies() throws Exception {
    try (FakeTokenService ghes = new FakeTokenService("/_services/token", clock)) {
      GitHubOidcAttestor onGhes =
          new GitHubOidcAttestor(
              new GitHubAttestorConfig(ghes.issuer(), null), TASKBOUND_URL, store, clock, JwksFetcher.withDefaults());
      assertThat(onGhes.attest(new Attestation("github", ghes.mint(TASKBOUND_URL))).platform()).isEqualTo("github");
      assertThat(ghes.discoveryRequests).hasValue(1);
    }
  }

  @Test
  void issuerFormsForPublicEnterpriseCloudAndServer() {
    assertThat(GitHubAttestorConfig.publicGitHub().issuer()).isEqualTo("https://token.actions.githubusercontent.com");
    assertThat(GitHubAttestorConfig.enterpriseCloud("acme", null).issuer())
        .isEqualTo("https://token.actions.githubusercontent.com/acme");
    assertThat(GitHubAttestorConfig.enterpriseServer("github.example.com", null).issuer())
        .isEqualTo("https://github.example.com/_services/token");
    assertThat(GitHubAttestorConfig.publicGitHub().algorithms()).containsExactly("RS256");
  }

  @Test
  void expiredTokenIsRefused() {
    Instant now = clock.instant();
    String token =
        github.mint(
            TASKBOUND_URL,
            b -> b.issueTime(Date.from(now.minusSeconds(400))).expirationTime(Date.from(now.minusSeconds(61))));
    assertRefused(attestor, token, "token has expired (exp)");
  }

  @Test
  void expiryWithinTheClockSkewIsTolerated() {
    Instant now = clock.instant();
    String token =
        github.mint(
            TASKBOUND_URL,
            b -> b.issueTime(Date.from(now.minusSeconds(400))).expirationTime(Date.from(now.minusSeconds(30))));
    assertThat(attest(token).platform()).isEqualTo("github");
  }

  @Test
  void tokenNotYetValidIsRefused() {
    String token =
        github.mint(TASKBOUND_URL, b -> b.notBeforeTime(Date.from(clock.instant().plusSeconds(120))));
    assertRefused(attestor, token, "token is not yet valid (nbf)");
  }

  @Test
  void tokenIssuedInTheFutureIsRefused() {
    Instant now = clock.instant();
    String token =
        github.mint(
            TASKBOUND_URL,
            b -> b.issueTime(Date.from(now.plusSeconds(120))).expirationTime(Date.from(now.plusSeconds(400))));
    assertRefused(attestor, token, "token is issued in the future (iat)");
  }

  @Test
  void wrongIssuerIsRefused() {
    String token = github.mint(TASKBOUND_URL, b -> b.issuer("https://token.actions.githubusercontent.com"));
    assertRefused(attestor, token, "issuer (iss) is not " + github.issuer());
  }

  @Test
  void wrongAudienceIsRefused() {
    assertRefused(attestor, github.mint("https://someone-else.example.com"), "audience (aud) does not include");
  }

  @Test
  void unsignedAlgNoneIsRefused() {
    String token = new PlainJWT(github.githubClaims(TASKBOUND_URL).build()).serialize();
    assertRefused(attestor, token, "unsigned token (alg none) is refused");
  }

  @Test
  void hmacSignedWithTheRsaPublicKeyIsRefused() throws Exception {
    // Algorithm confusion: a verifier that let the header pick HMAC would accept the public key as the secret.
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.HS256)
            .type(JOSEObjectType.JWT)
            .keyID(github.signingKey().getKeyID())
            .build();
    SignedJWT jwt = new SignedJWT(header, github.githubClaims(TASKBOUND_URL).build());
    jwt.sign(new MACSigner(github.signingKey().toRSAPublicKey().getEncoded()));

    assertRefused(attestor, jwt.serialize(), "signature algorithm HS256 is not allowed");
  }

  @Test
  void unknownKidIsRefusedAfterOneRefresh() {
    attest(github.mint(TASKBOUND_URL));
    assertThat(github.jwksRequests).hasValue(1);
    clock.advance(Duration.ofSeconds(31));

    String token = FakeTokenService.sign(github.githubClaims(TASKBOUND_URL).build(), FakeTokenService.unpublishedKey());

    assertRefused(attestor, token, "no signing key with the token's kid is published by " + github.issuer());
    assertThat(github.jwksRequests).as("refreshed once for the unknown kid").hasValue(2);
  }

  @Test
  void floodOfUnknownKidsRefreshesKeysAtMostOncePerInterval() {
    attest(github.mint(TASKBOUND_URL));
    clock.advance(Duration.ofSeconds(31));
    var bogus = FakeTokenService.unpublishedKey();
    for (int i = 0; i < 50; i++) {
      String token =
          FakeTokenService.sign(github.githubClaims(TASKBOUND_URL).build(), bogus, "bogus-" + i);
      assertRefused(attestor, token, "no signing key");
    }
    assertThat(github.jwksRequests).hasValue(2);
  }

  @Test
  void rotatedKeyVerifiesAfterRefresh() {
    attest(github.mint(TASKBOUND_URL));
    github.rotate();
    clock.advance(Duration.ofSeconds(31));

    AttestedIdentity identity = attest(github.mint(TASKBOUND_URL));

    assertThat(identity.context()).containsEntry("repository", "octo-org/octo-repo");
    assertThat(github.jwksRequests).hasValue(2);
  }

  @Test
  void signaturesInEncodingsACryptoProviderRejectsAreRefusedNotThrown() {
    String[] parts = github.mint(TASKBOUND_URL).split("\\.");
    for (byte[] sig : List.of(new byte[1], new byte[255], new byte[257], new byte[4096])) {
      sig = sig.clone();
      java.util.Arrays.fill(sig, (byte) 0xff);
      String token = parts[0] + "." + parts[1] + "." + Base64URL.encode(sig);
      assertRefused(attestor, token, "signature does not verify");
    }
  }

  @Test
  void tamperedPayloadIsRefused() {
    String[] parts = github.mint(TASKBOUND_URL).split("\\.");
    String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8);
    String evil = payload.replace("octo-org/octo-repo", "evil-org/octo-repo");
    assertThat(evil).isNotEqualTo(payload);
    String token = parts[0] + "." + Base64URL.encode(evil.getBytes(StandardCharsets.UTF_8)) + "." + parts[2];

    assertRefused(attestor, token, "signature does not verify");
  }

  @Test
  void aJtiIsSpentOnceByItsUseAlsoAcrossARestart() {
    String token = github.mint(TASKBOUND_URL);
    AttestedIdentity identity = attest(token);
    // Checking does not spend: only the task lifecycle does, when it begins a task.
    assertThat(attest(token).use()).isEqualTo(identity.use());
    assertThat(((dev.taskbound.issuer.store.AttestationUse.Jti) identity.use()).issuer()).isEqualTo(github.issuer());
    assertThat(store.consume(identity.use(), clock.instant())).isTrue();
    assertThat(store.consume(identity.use(), clock.instant())).isFalse();

    store.close();
    store = TestStores.open(dir);
    assertThat(store.consume(newAttestor(store).attest(new Attestation("github", token)).use(), clock.instant())).isFalse();
  }

  @Test
  void tokensRefusedForMissingClaimsAreNotSpent() {
    for (String claim : List.of("repository", "run_id", "sha")) {
      String jti = "jti-" + UUID.randomUUID();
      assertRefused(attestor, github.mint(TASKBOUND_URL, c -> c.jwtID(jti).claim(claim, null)), "has no " + claim);
      AttestedIdentity same = attest(github.mint(TASKBOUND_URL, c -> c.jwtID(jti)));
      assertThat(store.consume(same.use(), clock.instant())).as(claim).isTrue();
    }
  }

  @Test
  void refusedTokenDoesNotBurnItsJti() {
    String jti = UUID.randomUUID().toString();
    assertRefused(attestor, github.mint("https://wrong.example.com", b -> b.jwtID(jti)), "audience");

    assertThat(attest(github.mint(TASKBOUND_URL, b -> b.jwtID(jti))).platform()).isEqualTo("github");
  }

  @Test
  void oversizedTokenIsRefusedBeforeParsingOrFetchingKeys() {
    String token = github.mint(TASKBOUND_URL, b -> b.claim("padding", "x".repeat(17 * 1024)));
    assertRefused(attestor, token, "attestation token is larger than 16384 bytes");
    assertThat(github.discoveryRequests).hasValue(0);
    assertThat(github.jwksRequests).hasValue(0);
  }

  @Test
  void tokenWithoutJtiIsRefused() {
    assertRefused(attestor, github.mint(TASKBOUND_URL, b -> b.jwtID(null)), "token has no jti");
  }

  @Test
  void garbageIsRefused() {
    assertRefused(attestor, "garbage-garbage-garbage.not-base64!!.%%%%%%%%%%%%%%%%%%", "not a well-formed JWT");
    assertRefused(attestor, "", "attestation token is missing");
  }

  @Test
  void algorithmOutsideTheAllowListIsRefusedEvenWithAValidSignature() throws Exception {
    JWSHeader header =
        new JWSHeader.Builder(JWSAlgorithm.PS256).keyID(github.signingKey().getKeyID()).build();
    SignedJWT jwt = new SignedJWT(header, github.githubClaims(TASKBOUND_URL).build());
    jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(github.signingKey()));
    assertRefused(attestor, jwt.serialize(), "signature algorithm PS256 is not allowed");
  }

  @Test
  void unreachableIssuerIsRefusedWithoutTheToken() {
    String token = github.mint(TASKBOUND_URL);
    github.close();
    assertRefused(attestor, token, "failed");
  }

  @Test
  void symmetricAlgorithmsCannotBeConfigured() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new GitHubAttestorConfig(null, null, java.util.List.of("HS256")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HS256");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> new GitHubAttestorConfig(null, null, java.util.List.of("none")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
