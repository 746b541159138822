package dev.taskbound.issuer.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.ControllerRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.time.Instant;
import java.util.Date;
import java.util.UUID;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [2/7] end to end: a GitHub Actions OIDC token (from a protocol-exact stand-in for GitHub's token service) or a
 * Jenkins run statement from a registered controller begins a task over HTTP only when the CEL policy file allows
 * it; denials answer 403 with the reason class.
 */
class AttestedTaskEndToEndTest {
  @TempDir static Path dir;
  static FakeTokenService github;
  static Issuer issuer;
  static IssuerClient client;
  static String policyVersion;

  static final String POLICY =
      String.join(
          "\n",
          "rules:",
          "  - name: octo-deploy-main",
          "    when: ci.platform == 'github' && ci.repository == 'octo-org/octo-repo' && ci.ref == 'refs/heads/main'",
          "    spiffe_id: \"spiffe://{trust_domain}/ci/github/{ci.repository:path}/run/{ci.run_id}/attempt/{ci.run_attempt}/job/{ci.job}\"",
          "    max_ttl: 20m",
          "    audiences: [sts.amazonaws.com]",
          "    max_exchanges: 3",
          "  - name: jenkins-release",
          "    when: ci.platform == 'jenkins' && ci.controller == 'ci-prod' && ci.job.startsWith('platform/release')",
          "    spiffe_id: \"spiffe://{trust_domain}/ci/jenkins/{ci.controller}/job/{ci.job:path}/build/{ci.build_number}/step/{ci.flow_node_id}\"",
          "    max_ttl: 30m",
          "    audiences: [vault.example]",
          "");

  @BeforeAll
  static void start() throws Exception {
    github = new FakeTokenService("", Clock.systemUTC());
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(policy, POLICY);
    policyVersion = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(policy)));
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "attestors:",
            "  github: {issuer: \"" + github.issuer() + "\"}",
            "  jenkins: {}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    issuer.close();
    github.close();
  }

  @Test
  void mainBranchOfTheAllowedRepositoryGetsItsTemplatedIdentity() {
    String token = github.mint(issuer.url(), c -> c.claim("run_id", "555").claim("run_attempt", "1"));
    BeginTaskResponse begun = client.begin(new Attestation("github", token), TaskKey.generate(), List.of("sts.amazonaws.com"), "1h");

    assertThat(begun.spiffeId()).startsWith("spiffe://taskbound.test/ci/github/octo-org/octo-repo/run/555/attempt/1/job/");
    // The policy caps the lifetime (asked 1h, rule allows 20m).
    assertThat(begun.expiresAt()).isBefore(java.time.Instant.now().plusSeconds(20 * 60 + 5));
    TaskRecord task = issuer.store().findTask(begun.taskId()).orElseThrow();
    assertThat(task.attestor()).isEqualTo("github");
    assertThat(task.policyRule()).isEqualTo("octo-deploy-main");
    assertThat(task.policyVersion()).isEqualTo(policyVersion);
    assertThat(task.context()).containsEntry("repository", "octo-org/octo-repo").containsEntry("ref", "refs/heads/main");
  }

  @Test
  void otherBranchesAndRepositoriesAreDeniedWithTheirReason() {
    String feature = github.mint(issuer.url(), c -> c.claim("ref", "refs/heads/feature"));
    assertDenied(feature, List.of(), "condition_false");
    assertDenied(github.mint(issuer.url(), c -> c.claim("ref", "refs/heads/feature")), List.of(), "not met: ci.ref");
    String otherRepo = github.mint(issuer.url(), c -> c.claim("repository", "evil-org/octo-repo").claim("repository_owner", "evil-org"));
    assertDenied(otherRepo, List.of(), "not met: ci.repository");
    String wrongAudience = github.mint(issuer.url());
    assertDenied(wrongAudience, List.of("storage.googleapis.com"), "audience_not_allowed");
    assertThat(issuer.store().listTasks(null, 100)).noneMatch(t -> t.context().get("ref").equals("refs/heads/feature"));
  }

  @Test
  void aReplayedTokenIsRefused() {
    String token = github.mint(issuer.url());
    client.begin(new Attestation("github", token), TaskKey.generate(), List.of(), null);
    assertThatThrownBy(() -> client.begin(new Attestation("github", token), TaskKey.generate(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.problem().detail()).doesNotContain(token);
        });
  }

  @Test
  void aCallerDeniedByPolicyCanRetryWithTheSameTokenWhichIsThenSpent() {
    String token = github.mint(issuer.url());
    assertDenied(token, List.of("storage.googleapis.com"), "audience_not_allowed");
    assertDenied(token, List.of("storage.googleapis.com"), "audience_not_allowed");

    BeginTaskResponse begun = client.begin(new Attestation("github", token), TaskKey.generate(), List.of("sts.amazonaws.com"), null);
    assertThat(begun.taskId()).isNotBlank();
    assertThatThrownBy(() -> client.begin(new Attestation("github", token), TaskKey.generate(), List.of("sts.amazonaws.com"), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.problem().type()).endsWith("/attestation-failed");
        });
  }

  @Test
  void aTokenRefusedForAMissingClaimIsNotSpent() {
    String jti = UUID.randomUUID().toString();
    assertThatThrownBy(() -> client.begin(new Attestation("github", github.mint(issuer.url(), c -> c.jwtID(jti).claim("sha", null))), TaskKey.generate(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(401));
    // The same jti in a complete token is still unused.
    assertThat(client.begin(new Attestation("github", github.mint(issuer.url(), c -> c.jwtID(jti))), TaskKey.generate(), List.of(), null).taskId())
        .isNotBlank();
  }

  @Test
  void ofConcurrentBeginsWithOneTokenExactlyOneWins() throws Exception {
    String token = github.mint(issuer.url());
    int callers = 8;
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(callers);
    try {
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      List<java.util.concurrent.Future<Integer>> statuses = new java.util.ArrayList<>();
      for (int i = 0; i < callers; i++) {
        TaskKey key = TaskKey.generate();
        statuses.add(pool.submit(() -> {
          go.await();
          try {
            client.begin(new Attestation("github", token), key, List.of(), null);
            return 201;
          } catch (IssuerException e) {
            return e.status();
          }
        }));
      }
      go.countDown();
      List<Integer> got = new java.util.ArrayList<>();
      for (var f : statuses) {
        got.add(f.get());
      }
      assertThat(got).containsOnlyOnce(201).filteredOn(s -> s != 201).hasSize(callers - 1).containsOnly(401);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aTokenForAnotherAudienceIsRefused() {
    String token = github.mint("https://some-other-issuer.example");
    assertThatThrownBy(() -> client.begin(new Attestation("github", token), TaskKey.generate(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.problem().type()).endsWith("/attestation-failed"));
  }

  @Test
  void aJenkinsRunStatementFromARegisteredControllerGetsItsStepIdentity() throws Exception {
    ECKey controllerKey = new ECKeyGenerator(Curve.P_256).keyID("ctl-1").generate();
    issuer.store().putController(new ControllerRecord("ci-prod", new JWKSet(controllerKey.toPublicJWK()).toString(), null, Instant.now()));

    BeginTaskResponse begun =
        client.begin(new Attestation("jenkins", runStatement(controllerKey, "ci-prod", "platform/release/api")), TaskKey.generate(), List.of("vault.example"), null);
    assertThat(begun.spiffeId()).isEqualTo("spiffe://taskbound.test/ci/jenkins/ci-prod/job/platform/release/api/build/42/step/17");

    // A job name with path tricks stays inside its segments.
    String tricky = runStatement(controllerKey, "ci-prod", "platform/release/../../admin");
    BeginTaskResponse contained = client.begin(new Attestation("jenkins", tricky), TaskKey.generate(), List.of(), null);
    assertThat(contained.spiffeId()).startsWith("spiffe://taskbound.test/ci/jenkins/ci-prod/job/platform/release/").doesNotContain("/../");

    // The same statement from an unregistered controller name is refused.
    String unregistered = runStatement(controllerKey, "ci-shadow", "platform/release/api");
    assertThatThrownBy(() -> client.begin(new Attestation("jenkins", unregistered), TaskKey.generate(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(401));
  }

  private static String runStatement(ECKey key, String controller, String job) throws Exception {
    Instant now = Instant.now();
    JWTClaimsSet claims =
        new JWTClaimsSet.Builder()
            .issuer(controller)
            .audience(issuer.url())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plusSeconds(120)))
            .jwtID(UUID.randomUUID().toString())
            .claim("controller", controller)
            .claim("job", job)
            .claim("build_number", 42)
            .claim("flow_node_id", "17")
            .build();
    SignedJWT jwt =
        new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID(key.getKeyID()).type(new JOSEObjectType("taskbound-run+jwt")).build(), claims);
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }

  private static void assertDenied(String token, List<String> audiences, String reason) {
    assertThatThrownBy(() -> client.begin(new Attestation("github", token), TaskKey.generate(), audiences, null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.problem().type()).endsWith("/policy-denied");
          assertThat(e.problem().detail()).contains(reason).doesNotContain(token);
        });
  }
}
