package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jwt.JWTClaimsSet;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.store.TaskRecord;
import dev.taskbound.testing.OidcIssuerStandIn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [issue 19 item 8] GitLab CI and CircleCI through the generic OIDC attestor, configured as docs/gitlab.md says,
 * driving {@code taskbound run} as a job would: the token in the variable the CI sets, stand-ins of both CIs' token
 * issuers (discovery, JWKS at their real paths, RS256) issuing their real claim sets.
 */
class OtherCiEndToEndTest {
  static final String CIRCLE_ORG = "b6c8a3a2-1f0e-4a57-9d3e-6b1e2a7c9f10";
  static final String CIRCLE_PROJECT = "d3f1c2b4-5a6e-47b8-9c0d-1e2f3a4b5c6d";
  static final String CIRCLE_CONTEXT = "a74579f1-2e7d-451e-b009-5c082ad2729e";
  static final String POLICY = String.join("\n",
      "rules:",
      "  - name: gitlab-deploy",
      "    when: >-",
      "      ci.platform == 'oidc' && ci.provider == 'gitlab' &&",
      "      ci.repository == 'platform/payments' && ci.ref_type == 'branch' && ci.ref == 'main' && ci.ref_protected == 'true'",
      "    spiffe_id: \"spiffe://{trust_domain}/ci/gitlab/{ci.repository:path}/pipeline/{ci.run_id}/job/{ci.job}\"",
      "    max_ttl: 30m",
      "  - name: circleci-deploy",
      "    when: >-",
      "      ci.platform == 'oidc' && ci.provider == 'circleci' &&",
      "      ci.project_id == '" + CIRCLE_PROJECT + "' && ci.ref == 'refs/heads/main' &&",
      "      '" + CIRCLE_CONTEXT + "' in claims['oidc.circleci.com/context-ids'] &&",
      "      claims['oidc.circleci.com/ssh-rerun'] == false",
      "    spiffe_id: \"spiffe://{trust_domain}/ci/circleci/project/{ci.project_id}\"",
      "    max_ttl: 30m",
      "");

  @TempDir static Path dir;
  @TempDir Path work;
  static OidcIssuerStandIn gitlab;
  static OidcIssuerStandIn circleci;
  static LoopbackIssuer issuer;

  @BeforeAll
  static void start() throws Exception {
    gitlab = new OidcIssuerStandIn("", "/oauth/discovery/keys", List.of("sub", "aud", "exp", "iat", "iss", "jti", "nbf",
        "namespace_id", "namespace_path", "project_id", "project_path", "user_id", "user_login", "user_email", "pipeline_id",
        "pipeline_source", "job_id", "ref", "ref_type", "ref_path", "ref_protected", "environment", "environment_protected"));
    circleci = new OidcIssuerStandIn("/org/" + CIRCLE_ORG, "/.well-known/jwks-pub.json", List.of("sub", "aud", "exp", "iat", "iss",
        "oidc.circleci.com/project-id", "oidc.circleci.com/context-ids", "oidc.circleci.com/vcs-origin", "oidc.circleci.com/vcs-ref",
        "oidc.circleci.com/ssh-rerun"));
    issuer = LoopbackIssuer.withPolicy(dir, POLICY, Map.of(),
        "attestors:",
        "  oidc:",
        "    - name: gitlab",
        "      issuer: " + gitlab.issuer(),
        "      claims: {repository: project_path, namespace: namespace_path, ref: ref, ref_type: ref_type,",
        "               ref_protected: ref_protected, run_id: pipeline_id, job: job_id, environment: environment,",
        "               actor: user_login, pipeline_source: pipeline_source}",
        "    - name: circleci",
        "      issuer: " + circleci.issuer(),
        "      audience: " + CIRCLE_ORG,
        "      single_use: token",
        "      claims: {project_id: oidc.circleci.com/project-id, ref: oidc.circleci.com/vcs-ref,",
        "               vcs_origin: oidc.circleci.com/vcs-origin}");
  }

  @AfterAll
  static void stop() {
    issuer.close();
    gitlab.close();
    circleci.close();
  }

  /** A GitLab {@code id_tokens} token for a protected main pipeline: every id and boolean a string, as GitLab sends them. */
  static String gitlabToken(String audience, Consumer<JWTClaimsSet.Builder> customise) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer(gitlab.issuer()).subject("project_path:platform/payments:ref_type:branch:ref:main").audience(audience)
        .jwtID(UUID.randomUUID().toString()).issueTime(Date.from(now)).notBeforeTime(Date.from(now.minusSeconds(1)))
        .expirationTime(Date.from(now.plusSeconds(300)))
        .claim("namespace_id", "72").claim("namespace_path", "platform")
        .claim("project_id", "20").claim("project_path", "platform/payments")
        .claim("user_id", "5").claim("user_login", "alice").claim("user_email", "alice@example.com")
        .claim("user_access_level", "maintainer").claim("user_identities", List.of())
        .claim("pipeline_id", "574").claim("pipeline_source", "push").claim("job_id", "302")
        .claim("ref", "main").claim("ref_type", "branch").claim("ref_path", "refs/heads/main").claim("ref_protected", "true")
        .claim("environment", "production").claim("environment_protected", "true").claim("deployment_tier", "production")
        .claim("runner_id", 1).claim("runner_environment", "gitlab-hosted").claim("sha", "714a629c0b401fdce83e847fc9589983fc6f46bc")
        .claim("project_visibility", "private").claim("ci_config_ref_uri", "gitlab.com/platform/payments//.gitlab-ci.yml@refs/heads/main")
        .claim("ci_config_sha", "714a629c0b401fdce83e847fc9589983fc6f46bc");
    customise.accept(b);
    return gitlab.sign(b.build());
  }

  /** A CircleCI job's {@code $CIRCLE_OIDC_TOKEN_V2}: audience the organization id, claims namespaced by oidc.circleci.com/. */
  static String circleciToken(Consumer<JWTClaimsSet.Builder> customise) {
    Instant now = Instant.now();
    JWTClaimsSet.Builder b = new JWTClaimsSet.Builder()
        .issuer(circleci.issuer())
        .subject("org/" + CIRCLE_ORG + "/project/" + CIRCLE_PROJECT + "/user/0f3a7c1e-9b2d-4e5f-8a6b-7c8d9e0f1a2b"
            + "/vcs-origin/github.com/acme/payments/vcs-ref/refs/heads/main")
        .audience(CIRCLE_ORG).issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(3600)))
        .claim("oidc.circleci.com/project-id", CIRCLE_PROJECT)
        .claim("oidc.circleci.com/context-ids", List.of(CIRCLE_CONTEXT))
        .claim("oidc.circleci.com/vcs-origin", "github.com/acme/payments")
        .claim("oidc.circleci.com/vcs-ref", "refs/heads/main")
        .claim("oidc.circleci.com/ssh-rerun", false);
    customise.accept(b);
    return circleci.sign(b.build());
  }

  private Process run(String type, String variable, String token, String... command) throws Exception {
    List<String> args = new java.util.ArrayList<>(List.of("run", "--issuer", issuer.url(), "--attestation-type", type,
        "--attestation-token-env", variable, "--"));
    args.addAll(List.of(command));
    ProcessBuilder pb = CliProcess.taskbound(work, args.toArray(String[]::new));
    pb.environment().put(variable, token);
    return pb.start();
  }

  private int exit(Process p) throws Exception {
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return p.exitValue();
  }

  @Test
  void aGitLabJobGetsItsIdentityFromItsIdToken() throws Exception {
    Path seen = work.resolve("seen");
    Process p = run("oidc:gitlab", "TASKBOUND_ID_TOKEN", gitlabToken(issuer.url(), b -> {}),
        "sh", "-c", "env | grep -E '^(TASKBOUND_)' | sort > " + seen);

    assertThat(exit(p)).as(CliProcess.stderr(work)).isZero();
    TaskRecord task = issuer.task(CliProcess.taskId(work));
    assertThat(task.spiffeId()).isEqualTo("spiffe://taskbound.test/ci/gitlab/platform/payments/pipeline/574/job/302");
    assertThat(task.outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
    // Only mapped claims reach ci.*: user_email was not mapped.
    assertThat(task.context())
        .containsEntry("platform", "oidc").containsEntry("provider", "gitlab").containsEntry("ref_protected", "true")
        .containsEntry("actor", "alice").containsEntry("environment", "production")
        .doesNotContainKey("user_email").doesNotContainValue("alice@example.com");
    assertThat(Files.readString(seen)).doesNotContain("TASKBOUND_ID_TOKEN");
  }

  @Test
  void gitLabTokensForAnUnprotectedRefAnotherAudienceOrAForgedKeyAreRefused() throws Exception {
    String unprotected = gitlabToken(issuer.url(), b -> b.claim("ref_protected", "false"));
    String otherAudience = gitlabToken("https://vault.example", b -> {});
    Instant now = Instant.now();
    String forged = OidcIssuerStandIn.sign(new JWTClaimsSet.Builder(JWTClaimsSet.parse(
        com.nimbusds.jwt.SignedJWT.parse(gitlabToken(issuer.url(), b -> {})).getJWTClaimsSet().toJSONObject()))
        .jwtID(UUID.randomUUID().toString()).expirationTime(Date.from(now.plusSeconds(300))).build(),
        OidcIssuerStandIn.newKey(), gitlab.signingKey().getKeyID());

    for (String token : List.of(unprotected, otherAudience, forged)) {
      assertThat(exit(run("oidc:gitlab", "TASKBOUND_ID_TOKEN", token, "true"))).as(CliProcess.stderr(work))
          .isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    }
  }

  @Test
  void aCircleCiTokenWithoutJtiIsSpentByItsDigestAndCannotBeReplayed() throws Exception {
    // CircleCI's tokens carry iss, sub, aud, iat, exp and the oidc.circleci.com/ claims, no jti: with single_use:
    // token the issuer spends each token by its SHA-256, so the same token never begins a second task.
    String token = circleciToken(b -> {});
    assertThat(exit(run("oidc:circleci", "CIRCLE_OIDC_TOKEN_V2", token, "true"))).as(CliProcess.stderr(work)).isZero();
    assertThat(exit(run("oidc:circleci", "CIRCLE_OIDC_TOKEN_V2", token, "true"))).isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
  }

  @Test
  void aTokenWithoutJtiIsRefusedByAProviderThatSpendsByJti() throws Exception {
    assertThat(exit(run("oidc:gitlab", "TASKBOUND_ID_TOKEN", gitlabToken(issuer.url(), b -> b.jwtID(null)), "true")))
        .isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    assertThat(CliProcess.stderr(work)).contains("token has no jti");
  }

  @Test
  void aCircleCiJobGetsItsIdentityAndAnSshRerunDoesNot() throws Exception {
    assertThat(exit(run("oidc:circleci", "CIRCLE_OIDC_TOKEN_V2", circleciToken(b -> {}), "true"))).as(CliProcess.stderr(work)).isZero();
    TaskRecord task = issuer.task(CliProcess.taskId(work));
    assertThat(task.spiffeId()).isEqualTo("spiffe://taskbound.test/ci/circleci/project/" + CIRCLE_PROJECT);
    assertThat(task.context()).containsEntry("provider", "circleci").containsEntry("vcs_origin", "github.com/acme/payments");

    int rerun = exit(run("oidc:circleci", "CIRCLE_OIDC_TOKEN_V2", circleciToken(b -> b.claim("oidc.circleci.com/ssh-rerun", true)), "true"));
    assertThat(rerun).as(CliProcess.stderr(work)).isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    assertThat(CliProcess.stderr(work)).contains("circleci-deploy");
  }
}
