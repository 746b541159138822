package dev.taskbound.issuer.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.policy.CelPolicyEngine;
import dev.taskbound.issuer.policy.Decision;
import dev.taskbound.issuer.policy.InvalidPolicyException;
import dev.taskbound.issuer.policy.Policy;
import dev.taskbound.issuer.policy.PolicyRequest;
import dev.taskbound.issuer.store.Store;
import dev.taskbound.issuer.testing.MutableClock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [issue 19 item 9] Two generic OIDC providers — gitlab.com and a self-managed GitLab anyone with an account there
 * can create {@code group/project} on — send the same claim with the same value. A rule that checks
 * {@code ci.platform == 'oidc'} and the claim but not {@code ci.provider} would take either's token; such a rule is
 * refused when the policy loads, and the rule that pins the provider denies the other provider's token.
 */
class ProviderConfusionTest {
  static final String TASKBOUND_URL = "https://taskbound.example.com";
  static final Map<String, String> MAPPING = Map.of("repository", "project_path");

  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2025-06-01T12:00:00Z"));
  FakeTokenService gitlabCom;
  FakeTokenService selfManaged;
  Store store;
  GenericOidcAttestor gitlab;
  GenericOidcAttestor other;

  @BeforeEach
  void setUp() throws Exception {
    gitlabCom = new FakeTokenService("", clock);
    selfManaged = new FakeTokenService("", clock);
    store = TestStores.open(dir);
    gitlab = new GenericOidcAttestor(new OidcAttestorConfig("gitlab", gitlabCom.issuer(), "taskbound", null, MAPPING),
        TASKBOUND_URL, store, clock, JwksFetcher.withDefaults());
    other = new GenericOidcAttestor(new OidcAttestorConfig("gitlab-selfmanaged", selfManaged.issuer(), "taskbound", null, MAPPING),
        TASKBOUND_URL, store, clock, JwksFetcher.withDefaults());
  }

  @AfterEach
  void tearDown() {
    gitlabCom.close();
    selfManaged.close();
    store.close();
  }

  private static Policy policy(String when) throws InvalidPolicyException {
    return Policy.parse(("rules:\n  - name: deploy\n    when: \"" + when + "\"\n    max_ttl: 5m\n"
        + "    spiffe_id: 'spiffe://{trust_domain}/ci/gitlab/{ci.repository:path}'\n").getBytes(StandardCharsets.UTF_8));
  }

  private static String token(FakeTokenService issuer) {
    Instant now = Instant.parse("2025-06-01T12:00:00Z");
    return FakeTokenService.sign(new JWTClaimsSet.Builder()
        .issuer(issuer.issuer()).subject("project_path:group/project:ref_type:branch:ref:main").audience("taskbound")
        .jwtID(UUID.randomUUID().toString()).issueTime(Date.from(now)).notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300))).claim("project_path", "group/project").build(), issuer.signingKey());
  }

  @Test
  void theRuleThatWouldAcceptTheOtherProvidersTokenIsRefusedAtLoad() {
    assertThatThrownBy(() -> policy("ci.platform == 'oidc' && ci.repository == 'group/project'"))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("without pinning ci.provider");
  }

  @Test
  void theRuleThatPinsTheProviderDeniesTheOtherProvidersToken() throws Exception {
    CelPolicyEngine engine = CelPolicyEngine.of("taskbound.test",
        policy("ci.platform == 'oidc' && ci.provider == 'gitlab' && ci.repository == 'group/project'"));
    PolicyRequest request = new PolicyRequest(List.of(), null);

    Decision fromGitlab = engine.decide(gitlab.attest(new Attestation("oidc:gitlab", token(gitlabCom))), request);
    Decision fromOther = engine.decide(other.attest(new Attestation("oidc:gitlab-selfmanaged", token(selfManaged))), request);

    assertThat(fromGitlab.allowed()).isTrue();
    assertThat(fromGitlab.spiffeId().toString()).isEqualTo("spiffe://taskbound.test/ci/gitlab/group/project");
    assertThat(fromOther.allowed()).isFalse();
    assertThat(fromOther.detail()).contains("ci.provider");
  }
}
