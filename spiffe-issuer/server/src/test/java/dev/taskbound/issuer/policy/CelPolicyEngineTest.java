package dev.taskbound.issuer.policy;

import static dev.taskbound.issuer.policy.Contexts.NO_AUDIENCES;
import static dev.taskbound.issuer.policy.Contexts.TD;
import static dev.taskbound.issuer.policy.Contexts.audiences;
import static dev.taskbound.issuer.policy.Contexts.github;
import static dev.taskbound.issuer.policy.Contexts.jenkins;
import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.issuer.attest.AttestedIdentity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CelPolicyEngineTest {
  private final Policy mainBranch = parse(Contexts.resource("main-branch.yaml"));
  private final CelPolicyEngine engine = CelPolicyEngine.of(TD, mainBranch);

  @Test
  void mainBranchOfTheRepositoryIsAllowedWithTheRuleTerms() {
    Decision decision = engine.decide(github("acme/app", "refs/heads/main"), audiences("sts.amazonaws.com"));

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.rule()).isEqualTo("deploy-main");
    assertThat(decision.spiffeId()).hasToString("spiffe://taskbound.test/ci/github/acme/app/deploy/4242");
    assertThat(decision.ttlCap()).isEqualTo(Duration.ofMinutes(15));
    assertThat(decision.downstreamAudiences()).containsExactly("sts.amazonaws.com");
    assertThat(decision.maxExchanges()).isEqualTo(3);
    assertThat(decision.approval()).isEqualTo(dev.taskbound.issuer.policy.ApprovalGate.of("release-managers"));
    assertThat(decision.policyVersion()).isEqualTo(mainBranch.version());
    assertThat(decision.denyReason()).isNull();
  }

  @Test
  void anotherBranchOfTheRepositoryIsDeniedNamingTheUnmetCondition() {
    Decision decision = engine.decide(github("acme/app", "refs/heads/feature"), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.CONDITION_FALSE);
    assertThat(decision.rule()).isEqualTo("deploy-main");
    assertThat(decision.detail()).contains("2 of 3").contains("ci.ref == \"refs/heads/main\"");
    assertThat(decision.spiffeId()).isNull();
    assertThat(decision.policyVersion()).isEqualTo(mainBranch.version());
  }

  @Test
  void anotherRepositoryIsDeniedEvenOnMain() {
    Decision decision = engine.decide(github("acme/other", "refs/heads/main"), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.CONDITION_FALSE);
    assertThat(decision.detail()).contains("ci.repository == \"acme/app\"");
  }

  @Test
  void aCallerNoRuleComesCloseToIsDeniedWithNoRuleMatched() {
    Decision decision = engine.decide(new AttestedIdentity("oidc", Map.of(), Map.of(), "00"), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.NO_RULE_MATCHED);
    assertThat(decision.rule()).isNull();
  }

  @Test
  void theFirstMatchingRuleWins() {
    Policy policy =
        Contexts.policy(
            "rules:\n"
                + "  - {name: first, when: \"ci.platform == 'github'\", max_ttl: 1m,"
                + " spiffe_id: 'spiffe://{trust_domain}/first'}\n"
                + "  - {name: second, when: 'true', max_ttl: 1h, spiffe_id: 'spiffe://{trust_domain}/second'}\n");

    Decision decision = CelPolicyEngine.of(TD, policy).decide(github("acme/app", "refs/heads/x"), NO_AUDIENCES);

    assertThat(decision.rule()).isEqualTo("first");
    assertThat(decision.spiffeId()).hasToString("spiffe://taskbound.test/first");
  }

  @Test
  void jenkinsFoldersBecomePathSegments() {
    Decision decision = engine.decide(jenkins("platform/release/api"), NO_AUDIENCES);

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.spiffeId())
        .hasToString("spiffe://taskbound.test/ci/jenkins/ci-prod/job/platform/release/api/build/7");
  }

  @Test
  void anAudienceOutsideTheRuleIsDenied() {
    Decision decision =
        engine.decide(github("acme/app", "refs/heads/main"), audiences("sts.amazonaws.com", "evil.example"));

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.AUDIENCE_NOT_ALLOWED);
    assertThat(decision.rule()).isEqualTo("deploy-main");
    assertThat(decision.detail()).contains("evil.example");
  }

  @Test
  void aMissingKeyIsAnEvaluationErrorDenyAndStopsEvaluation() {
    Policy policy =
        Contexts.policy(
            "rules:\n"
                + "  - {name: strict, when: \"ci.environment == 'prod'\", max_ttl: 1m,"
                + " spiffe_id: 'spiffe://{trust_domain}/strict'}\n"
                + "  - {name: anything, when: 'true', max_ttl: 1h, spiffe_id: 'spiffe://{trust_domain}/any'}\n");

    Decision decision = CelPolicyEngine.of(TD, policy).decide(github("acme/app", "refs/heads/main"), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.EVALUATION_ERROR);
    assertThat(decision.rule()).isEqualTo("strict");
    assertThat(decision.detail()).contains("environment");
  }

  @Test
  void aTypeErrorOnAClaimIsAnEvaluationErrorDeny() {
    Decision decision =
        CelPolicyEngine.of(TD, Contexts.oneRule("claims.run_number > 10"))
            .decide(github("acme/app", "refs/heads/main", Map.of("run_number", "12")), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.EVALUATION_ERROR);
  }

  @Test
  void evaluationErrorDetailsNeverQuoteClaimValues() {
    Map<String, Object> claims = Map.of("token_like", "eyJhbGciOiJFUzI1NiJ9.secret(");
    for (String when :
        List.of(
            "int(claims.token_like) == 1",
            "claims.token_like.matches(claims.token_like)",
            "claims[claims.token_like] == 1",
            "timestamp(claims.token_like) > timestamp('2020-01-01T00:00:00Z')")) {
      Decision decision =
          CelPolicyEngine.of(TD, Contexts.oneRule(when))
              .decide(github("acme/app", "refs/heads/main", claims), NO_AUDIENCES);

      assertThat(decision.denyReason()).as(when).isEqualTo(Decision.EVALUATION_ERROR);
      assertThat(decision.detail()).as(when).doesNotContain("eyJ").doesNotContain("secret");
    }
  }

  @Test
  void aConditionThatIsNotABoolIsADeny() {
    Decision decision =
        CelPolicyEngine.of(TD, Contexts.oneRule("claims.sub"))
            .decide(github("acme/app", "refs/heads/main", Map.of("sub", "repo:acme/app")), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.EVALUATION_ERROR);
    assertThat(decision.detail()).contains("not bool").doesNotContain("repo:acme/app");
  }

  @Test
  void claimsKeepTheirJsonTypesWhateverJavaTypeTheAttestorUsed() {
    Map<String, Object> claims =
        Map.of(
            "run_number", 12,
            "exp", new java.util.Date(1_700_000_000_000L),
            "ratio", 0.5f,
            "groups", List.of("admins", 3),
            "nested", Map.of("ok", true));
    Decision decision =
        CelPolicyEngine.of(
                TD,
                Contexts.oneRule(
                    "claims.run_number == 12 && claims.exp == 1700000000 && claims.ratio == 0.5"
                        + " && 'admins' in claims.groups && claims.nested.ok"))
            .decide(github("acme/app", "refs/heads/main", claims), NO_AUDIENCES);

    assertThat(decision.allowed()).as(decision.detail()).isTrue();
  }

  @Test
  void requestVariablesAreVisibleToConditions() {
    Policy policy = Contexts.oneRule("request.ttl_seconds <= 600 && request.audiences.size() == 0");
    CelPolicyEngine engine = CelPolicyEngine.of(TD, policy);

    assertThat(engine.decide(github("a/b", "r"), new PolicyRequest(List.of(), Duration.ofMinutes(5))).allowed())
        .isTrue();
    assertThat(engine.decide(github("a/b", "r"), new PolicyRequest(List.of(), Duration.ofHours(1))).denyReason())
        .isEqualTo(Decision.CONDITION_FALSE);
  }

  @Test
  void aTemplateKeyMissingFromTheContextIsAnEvaluationErrorDeny() {
    Policy policy =
        Contexts.policy(
            "rules:\n  - {name: r, when: 'true', max_ttl: 1m, spiffe_id: 'spiffe://{trust_domain}/x/{ci.nope}'}\n");

    Decision decision = CelPolicyEngine.of(TD, policy).decide(github("a/b", "r"), NO_AUDIENCES);

    assertThat(decision.denyReason()).isEqualTo(Decision.EVALUATION_ERROR);
    assertThat(decision.detail()).contains("ci.nope is not in the context");
  }

  @Test
  void anIdOverTheRuleLimitIsADenyNotAnException() {
    Policy policy =
        Contexts.policy(
            "rules:\n  - {name: r, when: 'true', max_ttl: 1m, max_id_length: 40,"
                + " spiffe_id: 'spiffe://{trust_domain}/ci/{ci.job}'}\n");
    AttestedIdentity who = new AttestedIdentity("github", Map.of("job", "x".repeat(30)), Map.of(), "00");

    Decision decision = CelPolicyEngine.of(TD, policy).decide(who, NO_AUDIENCES);

    assertThat(decision.denyReason()).isEqualTo(Decision.EVALUATION_ERROR);
    assertThat(decision.detail()).contains("longer than 40 bytes");
  }

  @Test
  void withoutAPolicyEverythingIsDenied() {
    Decision decision = CelPolicyEngine.denyAll(TD).decide(github("acme/app", "refs/heads/main"), NO_AUDIENCES);

    assertThat(decision.allowed()).isFalse();
    assertThat(decision.denyReason()).isEqualTo(Decision.NO_RULE_MATCHED);
    assertThat(decision.policyVersion()).isEqualTo(Policy.NO_POLICY);
  }

  @Test
  void concurrentDecisionsShareTheCompiledPolicySafely() throws Exception {
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        boolean main = i % 2 == 0;
        results.add(
            pool.submit(
                () -> {
                  Decision decision =
                      engine.decide(github("acme/app", main ? "refs/heads/main" : "refs/heads/x"), NO_AUDIENCES);
                  return decision.allowed() == main
                      && (main || Decision.CONDITION_FALSE.equals(decision.denyReason()));
                }));
      }
      for (java.util.concurrent.Future<Boolean> result : results) {
        assertThat(result.get()).isTrue();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static Policy parse(byte[] yaml) {
    try {
      return Policy.parse(yaml);
    } catch (InvalidPolicyException e) {
      throw new AssertionError(e);
    }
  }
}
