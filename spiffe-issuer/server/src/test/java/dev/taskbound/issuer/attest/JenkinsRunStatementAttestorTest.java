package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.testing.MutableClock;

import static dev.taskbound.issuer.attest.Refusals.assertRefused;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.Store;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JenkinsRunStatementAttestorTest {
  static final String TASKBOUND_URL = "https://taskbound.example.com";
  static final String CONTROLLER = "ci.example.com";

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  Store store;
  ECKey controllerKey;
  JenkinsRunStatementAttestor attestor;

  @BeforeEach
  void setUp() throws Exception {
    store = TestStores.open(dir);
    controllerKey = ecKey("controller-2025-06");
    register(CONTROLLER, controllerKey);
    attestor =
        new JenkinsRunStatementAttestor(
            JenkinsAttestorConfig.defaults(), TASKBOUND_URL, store, clock, JwksFetcher.withDefaults());
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  static ECKey ecKey(String kid) throws JOSEException {
    return new ECKeyGenerator(Curve.P_256).keyID(kid).keyUse(KeyUse.SIGNATURE).generate();
  }

  private void register(String name, JWK key) {
    store.putController(
        new ControllerRecord(name, new JWKSet(key.toPublicJWK()).toString(true), null, clock.instant()));
  }

  /** A run statement as the plugin signs it (docs/jenkins-run-statement.md). */
  JWTClaimsSet.Builder statement(String controller) {
    Instant iat = clock.instant();
    return new JWTClaimsSet.Builder()
        .issuer(controller)
        .audience(TASKBOUND_URL)
        .issueTime(Date.from(iat))
        .expirationTime(Date.from(iat.plusSeconds(120)))
        .jwtID(UUID.randomUUID().toString())
        .claim("controller", controller)
        .claim("job", "platform/payments/deploy")
        .claim("build_number", 128)
        .claim("build_url", "https://ci.example.com/job/platform/job/payments/job/deploy/128/")
        .claim("flow_node_id", "42")
        .claim("node", "linux-agent-7")
        .claim("causes", List.of(Map.of("type", "UserIdCause", "user_id", "alice")))
        .claim("triggering_user", "alice")
        .claim(
            "scm",
            Map.of("revision", "0123456789abcdef", "url", "https://git.example.com/payments.git", "branch", "main"));
  }

  static String sign(JWTClaimsSet claims, JWK key) throws JOSEException {
    JWSAlgorithm alg = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
    JWSSigner signer = key instanceof RSAKey rsa ? new RSASSASigner(rsa) : new ECDSASigner((ECKey) key);
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(alg)
                .type(JenkinsRunStatementAttestor.STATEMENT_TYPE)
                .keyID(key.getKeyID())
                .build(),
            claims);
    jwt.sign(signer);
    return jwt.serialize();
  }

  String signed(Consumer<JWTClaimsSet.Builder> customise) throws JOSEException {
    JWTClaimsSet.Builder b = statement(CONTROLLER);
    customise.accept(b);
    return sign(b.build(), controllerKey);
  }

  @Test
  void statementFromRegisteredControllerBecomesJenkinsIdentity() throws Exception {
    AttestedIdentity identity = attestor.attest(new Attestation("jenkins", signed(b -> {})));

    assertThat(identity.platform()).isEqualTo("jenkins");
    assertThat(identity.context())
        .containsEntry("platform", "jenkins")
        .containsEntry("controller", CONTROLLER)
        .containsEntry("job", "platform/payments/deploy")
        .containsEntry("build_number", "128")
        .containsEntry("build_url", "https://ci.example.com/job/platform/job/payments/job/deploy/128/")
        .containsEntry("flow_node_id", "42")
        .containsEntry("node", "linux-agent-7")
        .containsEntry("triggering_user", "alice")
        .containsEntry("scm_revision", "0123456789abcdef")
        .containsEntry("scm_branch", "main")
        .containsEntry("scm_url", "https://git.example.com/payments.git");
    assertThat(identity.claims()).containsKey("causes");
  }

  @Test
  void statementWithoutScmOmitsScmContext() throws Exception {
    AttestedIdentity identity =
        attestor.attest(new Attestation("jenkins", signed(b -> b.claim("scm", null).claim("node", null))));
    assertThat(identity.context()).doesNotContainKeys("scm_revision", "scm_branch", "node");
  }

  @Test
  void rs256StatementIsAccepted() throws Exception {
    RSAKey rsa = FakeTokenService.unpublishedKey();
    register("rsa-controller", rsa);
    String token = sign(statement("rsa-controller").build(), rsa);
    assertThat(attestor.attest(new Attestation("jenkins", token)).context())
        .containsEntry("controller", "rsa-controller");
  }

  @Test
  void statementFromUnregisteredControllerIsRefused() throws Exception {
    String token = sign(statement("rogue.example.com").build(), ecKey("rogue"));
    assertRefused(attestor, token, "unregistered Jenkins controller");
  }

  @Test
  void removedControllerIsRefused() throws Exception {
    attestor.attest(new Attestation("jenkins", signed(b -> {})));
    store.removeController(CONTROLLER);
    assertRefused(attestor, signed(b -> {}), "unregistered Jenkins controller");
  }

  @Test
  void statementLivingLongerThanFiveMinutesIsRefused() throws Exception {
    Instant now = clock.instant();
    String token = signed(b -> b.expirationTime(Date.from(now.plusSeconds(301))));
    assertRefused(attestor, token, "token lifetime (exp - iat) exceeds 300 s");
  }

  @Test
  void statementSignedWithAnotherKeyIsRefused() throws Exception {
    ECKey impostor = ecKey(controllerKey.getKeyID());
    assertRefused(attestor, sign(statement(CONTROLLER).build(), impostor), "signature does not verify");
  }

  @Test
  void replacedRegistrationTakesEffect() throws Exception {
    attestor.attest(new Attestation("jenkins", signed(b -> {})));
    ECKey next = ecKey("controller-2025-07");
    register(CONTROLLER, next);

    assertRefused(attestor, signed(b -> {}), "no signing key with the token's kid");
    assertThat(attestor.attest(new Attestation("jenkins", sign(statement(CONTROLLER).build(), next))).platform())
        .isEqualTo("jenkins");
  }

  @Test
  void wrongTypeHeaderIsRefused() throws Exception {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).keyID(controllerKey.getKeyID()).build(),
            statement(CONTROLLER).build());
    jwt.sign(new ECDSASigner(controllerKey));
    assertRefused(attestor, jwt.serialize(), "token type (typ) must be taskbound-run+jwt");
  }

  @Test
  void controllerClaimMustMatchIssuer() throws Exception {
    assertRefused(attestor, signed(b -> b.claim("controller", "other")), "controller claim differs from its iss");
  }

  @Test
  void wrongAudienceIsRefused() throws Exception {
    assertRefused(attestor, signed(b -> b.audience("https://elsewhere.example.com")), "audience (aud)");
  }

  @Test
  void aStatementIsSpentOnceAndOnlyByItsUseNotByItsCheck() throws Exception {
    String token = signed(b -> {});
    AttestedIdentity identity = attestor.attest(new Attestation("jenkins", token));
    assertThat(attestor.attest(new Attestation("jenkins", token)).use()).isEqualTo(identity.use());
    assertThat(store.consume(identity.use(), clock.instant())).isTrue();
    assertThat(store.consume(identity.use(), clock.instant())).isFalse();
  }

  @Test
  void aStatementRefusedForItsControllerClaimIsNotSpent() throws Exception {
    String jti = "jti-" + java.util.UUID.randomUUID();
    assertRefused(attestor, signed(b -> b.jwtID(jti).claim("controller", "other")), "controller claim differs from its iss");
    AttestedIdentity identity = attestor.attest(new Attestation("jenkins", signed(b -> b.jwtID(jti))));
    assertThat(store.consume(identity.use(), clock.instant())).isTrue();
  }

  @Test
  void statementWithoutFlowNodeIsRefused() throws Exception {
    assertRefused(attestor, signed(b -> b.claim("flow_node_id", null)), "run statement has no flow_node_id");
  }

  @Test
  void controllerRegisteredByJwksUrlWorks() throws Exception {
    ECKey urlKey = ecKey("published-1");
    try (JwksServer jenkins = new JwksServer(new JWKSet(urlKey.toPublicJWK()).toString(true))) {
      store.putController(new ControllerRecord("jenkins-url", null, jenkins.uri().toString(), clock.instant()));

      AttestedIdentity identity =
          attestor.attest(new Attestation("jenkins", sign(statement("jenkins-url").build(), urlKey)));

      assertThat(identity.context()).containsEntry("controller", "jenkins-url");
      assertThat(jenkins.requests).hasValue(1);
      assertRefused(attestor, sign(statement("jenkins-url").build(), controllerKey), "no signing key");
    }
  }
}
