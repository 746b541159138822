package dev.taskbound.issuer.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyTest {
  @Test
  void versionIsTheSha256OfTheFileBytes() throws Exception {
    byte[] bytes = Contexts.resource("main-branch.yaml");

    Policy policy = Policy.parse(bytes);

    String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    assertThat(policy.version()).isEqualTo(expected).hasSize(64);
  }

  @Test
  void rulesKeepTheirFileOrderAndTerms() throws Exception {
    Policy policy = Policy.parse(Contexts.resource("main-branch.yaml"));

    assertThat(policy.rules()).extracting(PolicyRule::name).containsExactly("deploy-main", "jenkins-release");
    PolicyRule jenkins = policy.rules().get(1);
    assertThat(jenkins.maxTtl()).isEqualTo(Duration.ofHours(1));
    assertThat(jenkins.audiences()).isEmpty();
    assertThat(jenkins.maxExchanges()).isZero();
    assertThat(jenkins.approval()).isNull();
    assertThat(jenkins.maxIdLength()).isEqualTo(2048);
  }

  @Test
  void oneRuleThatDoesNotCompileInvalidatesTheWholePolicy() {
    assertThatThrownBy(() -> Policy.parse(Contexts.resource("invalid-cel.yaml")))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageStartingWith("rule 'broken': when does not compile");
  }

  private static Policy policyWhen(String when) throws InvalidPolicyException {
    return Policy.parse(("rules:\n  - name: r\n    when: \"" + when + "\"\n    max_ttl: 5m\n"
        + "    spiffe_id: 'spiffe://{trust_domain}/x'\n").getBytes(StandardCharsets.UTF_8));
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "ci.platform == 'oidc' && ci.repository == 'group/project'",
      "'oidc' == ci.platform && claims.project_path == 'group/project'",
      "ci.platform in ['github', 'oidc'] && ci.repository == 'group/project'",
      // A provider named only inside || or ! admits other providers too.
      "ci.platform == 'oidc' && (ci.provider == 'gitlab' || ci.repository == 'group/project')",
      "ci.platform == 'oidc' && ci.provider != 'circleci'"})
  void aRuleForGenericOidcTokensThatDoesNotPinTheProviderIsRefused(String when) {
    assertThatThrownBy(() -> policyWhen(when))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageContaining("rule 'r'")
        .hasMessageContaining("without pinning ci.provider");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "ci.platform == 'oidc' && ci.provider == 'gitlab' && ci.repository == 'group/project'",
      "ci.platform == 'oidc' && 'gitlab' == ci.provider",
      "ci.platform == 'oidc' && ci.provider in ['gitlab', 'gitlab-staging']",
      "ci.platform == 'oidc' && ci['provider'] == 'gitlab'",
      "ci.provider == 'gitlab' && ci.repository == 'group/project'",
      "ci.platform == 'github' && ci.repository == 'octo-org/octo-repo'"})
  void rulesThatPinTheProviderOrAnotherPlatformLoadWithoutWarning(String when) throws Exception {
    assertThat(policyWhen(when).warnings()).isEmpty();
  }

  @Test
  void aRuleThatPinsNoPlatformLoadsWithAWarning() throws Exception {
    assertThat(policyWhen("claims.project_path == 'group/project'").warnings())
        .singleElement().asString().contains("rule 'r'").contains("pins neither ci.platform nor ci.provider");
  }

  @Test
  void theSamplePolicyInTheDocsLoads() throws Exception {
    // Surefire runs in the module directory; the sample lives at the repository root.
    Path sample = Path.of("..", "..", "docs", "examples", "policy.yaml");

    Policy policy = Policy.parse(Files.readAllBytes(sample));

    assertThat(policy.rules())
        .extracting(PolicyRule::name)
        .containsExactly("github-payments-deploy-main", "github-acme-build", "jenkins-platform-release");
  }

  @Test
  void theDocsNameThePolicyVersionsDecisionsCarry() throws Exception {
    String doc = Files.readString(Path.of("..", "..", "docs", "policy.md")).replaceAll("\\s+", " ");
    String sentence = doc.substring(doc.indexOf("Every decision carries `policyVersion`"), doc.indexOf("A deny `detail`"));

    assertThat(sentence).contains("`" + Policy.NO_POLICY + "` when there is no policy file")
        .contains("`" + DevPolicy.VERSION + "` for the dev-mode rule");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "rules: 3",
        "[]",
        "rules: []\nextra: 1",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a'}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m, audience: [x]}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: five}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 0s}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://other/a', max_ttl: 5m}",
        "rules:\n  - {name: a, when: \"ci.repository\", spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m, max_exchanges: -1}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m, max_id_length: 4096}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m, audiences: [1]}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m, when: 'false'}",
        "rules:\n  - {name: 'a b', when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m}",
        "rules:\n  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m}\n"
            + "  - {name: a, when: 'true', spiffe_id: 'spiffe://{trust_domain}/b', max_ttl: 5m}",
        "rules:\n  - {name: a, when: 'undeclared == 1', spiffe_id: 'spiffe://{trust_domain}/a', max_ttl: 5m}",
      })
  void malformedPoliciesAreRejectedWithAReason(String yaml) {
    assertThatThrownBy(() -> Policy.parse(yaml.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(InvalidPolicyException.class)
        .hasMessageNotContaining("null");
  }

  @Test
  void durationsReadAsOperatorsWriteThem() {
    assertThat(PolicyParser.duration("90s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(PolicyParser.duration("15m")).isEqualTo(Duration.ofMinutes(15));
    assertThat(PolicyParser.duration("1h30m")).isEqualTo(Duration.ofMinutes(90));
  }
}
