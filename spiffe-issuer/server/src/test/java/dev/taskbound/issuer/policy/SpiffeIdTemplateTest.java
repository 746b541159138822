package dev.taskbound.issuer.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.ca.SpiffeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SpiffeIdTemplateTest {
  private static final String TD = "taskbound.test";
  private static final SpiffeIdTemplate JOB =
      SpiffeIdTemplate.parse("spiffe://{trust_domain}/ci/github/{ci.repository:path}/job/{ci.job}/end");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "/", "..", ".", "../..", "../../admin", "%2F", "%2e%2e", "a/b", "é", "\u200Fevil", "\u202Eevil",
        "a\uFF0Fb", "", "_2F", "_", "__", " ", "a\u0000b", "a\nb", "{ci.job}", "x?y#z", "spiffe://other/x"
      })
  void aJobValueNeverLeavesItsSegment(String value) throws Exception {
    SpiffeId id = JOB.render(TD, Map.of("repository", "acme/app", "job", value), SpiffeId.MAX_LENGTH);

    String text = id.toString();
    assertThat(text).startsWith("spiffe://taskbound.test/ci/github/acme/app/job/").endsWith("/end");
    List<String> segments = List.of(id.path().substring(1).split("/", -1));
    assertThat(segments).hasSize(7);
    assertThat(SegmentCodec.decode(segments.get(5))).isEqualTo(value);
    assertThat(SpiffeId.parse(text)).isEqualTo(id);
    io.spiffe.spiffeid.SpiffeId independent = io.spiffe.spiffeid.SpiffeId.parse(text);
    assertThat(independent.toString()).isEqualTo(text);
    assertThat(independent.getTrustDomain().getName()).isEqualTo(TD);
  }

  @ParameterizedTest
  @ValueSource(strings = {"acme/app", "a/../b", "./x", "a//b", "/lead", "trail/", "é/\u200F", "_2F/%2F"})
  void aPathValueKeepsItsSlashesButEachPartStaysASafeSegment(String repository) throws Exception {
    SpiffeId id = JOB.render(TD, Map.of("repository", repository, "job", "build"), SpiffeId.MAX_LENGTH);

    io.spiffe.spiffeid.SpiffeId.parse(id.toString());
    String path = id.path();
    String encodedRepository = path.substring("/ci/github/".length(), path.indexOf("/job/build/end"));
    List<String> parts = new ArrayList<>();
    for (String part : encodedRepository.split("/", -1)) {
      parts.add(SegmentCodec.decode(part));
    }
    assertThat(String.join("/", parts)).isEqualTo(repository);
  }

  @Test
  void distinctContextsNeverShareAnId() throws Exception {
    SpiffeIdTemplate template =
        SpiffeIdTemplate.parse(
            "spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/b-{ci.build}.x");
    String alphabet = "ab/._-%2F\u00E9\uFF0F";
    Random random = new Random(7);
    Map<String, Map<String, String>> seen = new HashMap<>();
    for (int i = 0; i < 50_000; i++) {
      Map<String, String> ci =
          Map.of(
              "controller", randomValue(random, alphabet),
              "job", randomValue(random, alphabet),
              "build", randomValue(random, alphabet));
      SpiffeId id = template.render(TD, ci, SpiffeId.MAX_LENGTH);
      Map<String, String> previous = seen.putIfAbsent(id.toString(), ci);
      if (previous != null) {
        assertThat(previous).as("two contexts rendered %s", id).isEqualTo(ci);
      }
    }
    assertThat(seen).hasSizeGreaterThan(20_000);
  }

  @Test
  void defaultTemplatesFollowTheArchitecture() throws Exception {
    SpiffeId github =
        SpiffeIdTemplate.defaultGithub()
            .render(
                TD,
                Map.of("repository", "acme/app", "run_id", "42", "run_attempt", "1", "job", "deploy"),
                SpiffeId.MAX_LENGTH);
    SpiffeId jenkins =
        SpiffeIdTemplate.defaultJenkins()
            .render(
                TD,
                Map.of("controller", "ci-prod", "job", "team/svc/main", "build_number", "7", "flow_node_id", "23"),
                SpiffeId.MAX_LENGTH);

    assertThat(github).hasToString("spiffe://taskbound.test/ci/github/acme/app/run/42/attempt/1/job/deploy");
    assertThat(jenkins).hasToString("spiffe://taskbound.test/ci/jenkins/ci-prod/job/team/svc/main/build/7/step/23");
  }

  @Test
  void tooLongAnIdIsATemplateErrorNotAnInvalidSpiffeId() {
    Map<String, String> ci = Map.of("repository", "acme/app", "job", "x".repeat(3000));

    assertThatThrownBy(() -> JOB.render(TD, ci, SpiffeId.MAX_LENGTH))
        .isInstanceOf(SpiffeIdTemplateException.class)
        .hasMessageContaining("longer than 2048 bytes");
    assertThatThrownBy(() -> JOB.render(TD, Map.of("repository", "acme/app", "job", "x".repeat(250)), 255))
        .isInstanceOf(SpiffeIdTemplateException.class)
        .hasMessageContaining("longer than 255 bytes");
  }

  @Test
  void anIdOfExactlyTheLimitIsAllowed() throws Exception {
    String prefix = "spiffe://taskbound.test/ci/github/acme/app/job/";
    String job = "j".repeat(255 - prefix.length() - "/end".length());

    SpiffeId id = JOB.render(TD, Map.of("repository", "acme/app", "job", job), 255);

    assertThat(id.toString()).hasSize(255);
  }

  @Test
  void missingKeyAndMalformedUnicodeAreTemplateErrors() {
    assertThatThrownBy(() -> JOB.render(TD, Map.of("repository", "acme/app"), SpiffeId.MAX_LENGTH))
        .isInstanceOf(SpiffeIdTemplateException.class)
        .hasMessage("ci.job is not in the context");
    assertThatThrownBy(
            () -> JOB.render(TD, Map.of("repository", "acme/app", "job", "a\uD800"), SpiffeId.MAX_LENGTH))
        .isInstanceOf(SpiffeIdTemplateException.class)
        .hasMessageContaining("not well-formed Unicode");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "spiffe://example.org/ci/{ci.job}",
        "spiffe://{trust_domain}",
        "spiffe://{trust_domain}/",
        "spiffe://{trust_domain}/ci//x",
        "spiffe://{trust_domain}/ci/../x",
        "spiffe://{trust_domain}/ci/./x",
        "spiffe://{trust_domain}/ci/{ci.job}/",
        "spiffe://{trust_domain}/ci/a%2Fb",
        "spiffe://{trust_domain}/ci/é",
        "spiffe://{trust_domain}/ci/{ci.a}{ci.b}",
        "spiffe://{trust_domain}/ci/{ci.a}-{ci.b}",
        "spiffe://{trust_domain}/ci/{ci.job",
        "spiffe://{trust_domain}/ci/ci.job}",
        "spiffe://{trust_domain}/ci/{claims.sub}",
        "spiffe://{trust_domain}/ci/{trust_domain}",
        "spiffe://{trust_domain}/ci/{ci.a:path}/{ci.b:path}",
        "spiffe://{trust_domain}/ci/x-{ci.a:path}",
        "spiffe://{trust_domain}/ci/{ci.a:segments}",
        "spiffe://{trust_domain}/ci/x?y",
      })
  void invalidTemplatesAreRejectedAtLoad(String template) {
    assertThatThrownBy(() -> SpiffeIdTemplate.parse(template)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void literalPrefixAndSuffixAroundOnePlaceholderAreAllowed() throws Exception {
    SpiffeIdTemplate template = SpiffeIdTemplate.parse("spiffe://{trust_domain}/run-{ci.run_id}.v1");

    Set<String> ids = new HashSet<>();
    for (String runId : List.of("", ".", "..", "1", "_", "-")) {
      SpiffeId id = template.render(TD, Map.of("run_id", runId), SpiffeId.MAX_LENGTH);
      io.spiffe.spiffeid.SpiffeId.parse(id.toString());
      ids.add(id.toString());
    }
    assertThat(ids).hasSize(6).contains("spiffe://taskbound.test/run-_.v1", "spiffe://taskbound.test/run-1.v1");
  }

  private static String randomValue(Random random, String alphabet) {
    StringBuilder value = new StringBuilder();
    int length = random.nextInt(5);
    for (int i = 0; i < length; i++) {
      value.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return value.toString();
  }
}
