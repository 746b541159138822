package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.LoggedEvent;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.attest.FakeTokenService;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.ApprovalState;
import dev.taskbound.issuer.testing.MutableClock;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approval gates end to end over HTTP on loopback: a GitHub-attested begin under a rule with {@code approval:}
 * waits (202) until approvers act through the admin API (authenticated by a stand-in IdP), then yields the task;
 * denial, expiry (injected clock) and withdrawal yield problems; the evidence verifies offline.
 */
class ApprovalGatesTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final AtomicInteger RUNS = new AtomicInteger(1000);
  @TempDir static Path dir;
  static StandInIdp idp;
  static FakeTokenService github;
  static MutableClock clock;
  static Issuer issuer;
  static IssuerClient client;

  @BeforeAll
  static void start() throws Exception {
    idp = new StandInIdp();
    github = new FakeTokenService("", Clock.systemUTC());
    clock = new MutableClock(Instant.now());
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        String.join("\n",
            "rules:",
            "  - name: deploy-prod",
            "    when: ci.platform == 'github' && ci.environment == 'prod'",
            "    spiffe_id: \"spiffe://{trust_domain}/deploy/{ci.run_id}\"",
            "    max_ttl: 20m",
            "    audiences: [sts.amazonaws.com]",
            "    approval: release-managers",
            "  - name: deploy-critical",
            "    when: ci.platform == 'github' && ci.environment == 'critical'",
            "    spiffe_id: \"spiffe://{trust_domain}/critical/{ci.run_id}\"",
            "    max_ttl: 20m",
            "    audiences: [sts.amazonaws.com]",
            "    approval: {group: security, min_approvers: 2, timeout: 10m}",
            "  - name: build",
            "    when: ci.platform == 'github' && ci.environment == 'build'",
            "    spiffe_id: \"spiffe://{trust_domain}/build/{ci.run_id}\"",
            "    max_ttl: 20m",
            ""));
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join("\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "attestors:",
            "  github: {issuer: \"" + github.issuer() + "\"}",
            "admin:",
            "  oidc:",
            "    issuer: " + idp.issuer,
            "    audience: " + StandInIdp.AUDIENCE,
            "    subject_claim: email",
            "    roles_claim: groups",
            "    roles: {rm: approver, eng: viewer}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), clock);
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    issuer.close();
    github.close();
    idp.close();
  }

  /** A GitHub token of a run in {@code environment}, by octocat. */
  static Attestation attestation(String environment) {
    String runId = Integer.toString(RUNS.incrementAndGet());
    return new Attestation("github", github.mint(issuer.url(), c -> c.claim("environment", environment).claim("run_id", runId)));
  }

  /** An approver in both rules' groups (the token's groups claim names both the role and the memberships). */
  static String approver(String email) throws Exception {
    return idp.token(email, List.of("rm", "release-managers", "security"));
  }

  static HttpResponse<String> send(String method, String path, String token, String json) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(issuer.url() + path))
            .header("Content-Type", "application/json")
            .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    return AdminApiTest.json(r, status);
  }

  static String problemType(HttpResponse<String> r, int status) throws Exception {
    return json(r, status).get("type").asText().replace("https://taskbound.dev/problems/", "");
  }

  static JsonNode approve(String approvalId, String email) throws Exception {
    return json(send("POST", "/v1/admin/approvals/" + approvalId + "/approve", approver(email), "{}"), 200);
  }

  static IssuerClient.Started requestApproval(String environment, TaskKey key) {
    IssuerClient.Started started = client.start(attestation(environment), key, List.of("sts.amazonaws.com"), "10m");
    assertThat(started.task()).isNull();
    return started;
  }

  /** The event types of a task's bundle, which verifies offline with the log key. */
  static List<String> loggedTypes(String taskId) throws Exception {
    VerificationResult verified = EvidenceVerifier.verify(client.evidenceBundle(taskId), NoteKey.parse(client.evidenceKey().trim()));
    assertThat(verified.failures()).isEmpty();
    return verified.statement().entries().stream().map(LoggedEvent::type).toList();
  }

  /**
   * The same for a request that never became a task: signatures and inclusion verify; the one failure is that no
   * task ended (none began).
   */
  static List<String> loggedTypesOfRequestWithoutTask(String taskId) throws Exception {
    VerificationResult verified = EvidenceVerifier.verify(client.evidenceBundle(taskId), NoteKey.parse(client.evidenceKey().trim()));
    assertThat(verified.failures()).extracting(VerificationResult.Failure::check).containsExactly(VerificationResult.Check.TASK_NOT_ENDED);
    assertThat(verified.approvalWithoutTask()).isTrue();
    return verified.statement().entries().stream().map(LoggedEvent::type).toList();
  }

  @Test
  void aPendingRequestApprovedByAnApproverYieldsTheTaskWhoseBundleShowsTheApproval() throws Exception {
    TaskKey key = TaskKey.generate();
    Attestation attestation = attestation("prod");
    BeginTaskRequest body =
        new BeginTaskRequest(
            attestation, key.publicJwk(), key.proofOfPossession(issuer.url(), attestation.token(), clock.instant()),
            List.of("sts.amazonaws.com"), "10m");
    HttpResponse<String> accepted = send("POST", "/v1/tasks", null, ApiJson.mapper().writeValueAsString(body));
    JsonNode pending = json(accepted, 202);
    String id = pending.get("approval_id").asText();
    assertThat(id).startsWith("apr_");
    assertThat(accepted.headers().firstValue("Location")).hasValue("/v1/approvals/" + id);
    assertThat(pending.get("status").asText()).isEqualTo("pending");
    assertThat(pending.get("approvers").asText()).isEqualTo("release-managers");
    assertThat(Instant.parse(pending.get("expires_at").asText())).isEqualTo(clock.instant().plus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(pending.get("url").asText()).isEqualTo(issuer.url() + "/v1/admin/approvals/" + id);
    String requestToken = pending.get("request_token").asText();
    assertThat(requestToken).startsWith("tbar_");
    assertThat(issuer.store().findApproval(id).orElseThrow().requestTokenSha256()).doesNotContain(requestToken);

    // Polling: pending, and no task yet; collecting now is a 409.
    assertThat(client.approval(id, requestToken).status()).isEqualTo("pending");
    assertThatThrownBy(() -> client.collect(id, requestToken, key))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.problem().type()).endsWith("/approval-pending"));
    assertThat(problemType(send("GET", "/v1/approvals/" + id, "tbar_wrong", null), 401)).isEqualTo("unauthorized");

    // Approvers see it (not its request token) and one approves.
    JsonNode listed = json(send("GET", "/v1/admin/approvals?state=pending", approver("rita@example.com"), null), 200);
    assertThat(listed.get("approvals").findValuesAsText("approval_id")).contains(id);
    assertThat(listed.toString()).doesNotContain(requestToken);
    JsonNode approved = approve(id, "rita@example.com");
    assertThat(approved.get("state").asText()).isEqualTo("approved");
    assertThat(approved.get("requester").asText()).isEqualTo("octocat");

    ApprovalView polled = client.approval(id, requestToken);
    assertThat(polled.status()).isEqualTo("approved");
    assertThat(polled.approvedBy()).containsExactly("rita@example.com");

    // Another key cannot collect it; the one given with the begin can, once.
    assertThatThrownBy(() -> client.collect(id, requestToken, TaskKey.generate()))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.status()).isEqualTo(400));
    BeginTaskResponse task = client.collect(id, requestToken, key);
    assertThat(task.taskId()).isEqualTo(issuer.store().findApproval(id).orElseThrow().taskId());
    assertThat(task.spiffeId()).startsWith("spiffe://taskbound.test/deploy/");
    assertThat(task.jwtSvids()).extracting(j -> j.audience()).containsExactly("sts.amazonaws.com");
    assertThat(task.controlToken()).startsWith("tbct_");
    assertThat(client.get(task.taskId(), task.controlToken()).state()).isEqualTo("active");
    assertThatThrownBy(() -> client.collect(id, requestToken, key))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.problem().type()).endsWith("/approval-not-open"));
    assertThat(client.approval(id, requestToken).taskId()).isEqualTo(task.taskId());

    client.end(task.taskId(), task.controlToken(), "succeeded", null);
    List<String> types = loggedTypes(task.taskId());
    assertThat(types).startsWith("approval.requested", "approval.granted", "task.begun").contains("task.ended");
    String statement = new String(client.evidenceBundle(task.taskId()), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(statement).doesNotContain(requestToken);
  }

  @Test
  void theRequesterCannotApproveTheirOwnRequest() throws Exception {
    IssuerClient.Started started = requestApproval("prod", TaskKey.generate());
    String id = started.approval().approvalId();
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", approver("OctoCat"), "{}"), 403)).isEqualTo("forbidden");
    assertThat(issuer.store().findApproval(id).orElseThrow().state()).isEqualTo(ApprovalState.PENDING);
    assertThat(issuer.store().findApproval(id).orElseThrow().approvedBy()).isEmpty();
  }

  @Test
  void onlyApproversApprove() throws Exception {
    String id = requestApproval("prod", TaskKey.generate()).approval().approvalId();
    String viewer = idp.token("vera@example.com", List.of("eng"));
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", viewer, "{}"), 403)).isEqualTo("forbidden");
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", null, "{}"), 401)).isEqualTo("not-authenticated");
    assertThat(json(send("GET", "/v1/admin/approvals/" + id, viewer, null), 200).get("state").asText()).isEqualTo("pending");
  }

  @Test
  void approversOutsideTheRulesGroupCanNeitherApproveNorDeny() throws Exception {
    String id = requestApproval("prod", TaskKey.generate()).approval().approvalId();
    String securityOnly = idp.token("sid@example.com", List.of("rm", "security"));
    HttpResponse<String> refused = send("POST", "/v1/admin/approvals/" + id + "/approve", securityOnly, "{}");
    assertThat(problemType(refused, 403)).isEqualTo("forbidden");
    assertThat(refused.body()).contains("sid@example.com is not a member of release-managers");
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/deny", securityOnly, "{\"reason\":\"no\"}"), 403))
        .isEqualTo("forbidden");
    assertThat(issuer.store().findApproval(id).orElseThrow().state()).isEqualTo(ApprovalState.PENDING);
    assertThat(issuer.store().findApproval(id).orElseThrow().approvedBy()).isEmpty();
    assertThat(json(send("GET", "/v1/admin/whoami", securityOnly, null), 200).get("groups").toString())
        .isEqualTo("[\"rm\",\"security\"]");
    // A member may.
    assertThat(approve(id, "rita@example.com").get("state").asText()).isEqualTo("approved");
  }

  @Test
  void twoDistinctApproversAreNeededWhenTheRuleSaysSo() throws Exception {
    TaskKey key = TaskKey.generate();
    ApprovalView pending = requestApproval("critical", key).approval();
    String id = pending.approvalId();
    assertThat(pending.minApprovers()).isEqualTo(2);
    assertThat(pending.approvers()).isEqualTo("security");

    assertThat(approve(id, "rita@example.com").get("state").asText()).isEqualTo("pending");
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", approver("rita@example.com"), "{}"), 409))
        .isEqualTo("approval-not-open");
    assertThat(client.approval(id, pending.requestToken()).status()).isEqualTo("pending");
    assertThat(approve(id, "sam@example.com").get("state").asText()).isEqualTo("approved");

    BeginTaskResponse task = client.collect(id, pending.requestToken(), key);
    client.end(task.taskId(), task.controlToken(), "succeeded", null);
    assertThat(loggedTypes(task.taskId()))
        .containsSubsequence("approval.requested", "approval.granted", "approval.granted", "task.begun");
  }

  @Test
  void aDeniedRequestYieldsAProblemWithTheReason() throws Exception {
    TaskKey key = TaskKey.generate();
    ApprovalView pending = requestApproval("prod", key).approval();
    String id = pending.approvalId();
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/deny", approver("rita@example.com"), "{}"), 400))
        .isEqualTo("malformed-request");
    JsonNode denied =
        json(send("POST", "/v1/admin/approvals/" + id + "/deny", approver("rita@example.com"), "{\"reason\":\"change freeze\"}"), 200);
    assertThat(denied.get("state").asText()).isEqualTo("denied");

    ApprovalView polled = client.approval(id, pending.requestToken());
    assertThat(polled.status()).isEqualTo("denied");
    assertThat(polled.deniedBy()).isEqualTo("rita@example.com");
    assertThat(polled.reason()).isEqualTo("change freeze");
    assertThatThrownBy(() -> client.collect(id, pending.requestToken(), key))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(403);
          assertThat(e.problem().type()).endsWith("/approval-denied");
          assertThat(e.problem().detail()).contains("rita@example.com").contains("change freeze");
        });
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", approver("sam@example.com"), "{}"), 403))
        .isEqualTo("approval-denied");
    String taskId = issuer.store().findApproval(id).orElseThrow().taskId();
    assertThat(issuer.store().findTask(taskId)).isEmpty();
    assertThat(loggedTypesOfRequestWithoutTask(taskId)).containsExactly("approval.requested", "approval.denied");
  }

  @Test
  void aRequestNobodyDecidesExpiresAndIsLoggedSo() throws Exception {
    TaskKey key = TaskKey.generate();
    ApprovalView pending = requestApproval("critical", key).approval();
    String id = pending.approvalId();
    Instant before = clock.instant();
    try {
      clock.advance(Duration.ofMinutes(10).minusSeconds(1));
      assertThat(client.approval(id, pending.requestToken()).status()).isEqualTo("pending");
      clock.advance(Duration.ofSeconds(1));
      assertThat(client.approval(id, pending.requestToken()).status()).isEqualTo("expired");
      assertThatThrownBy(() -> client.collect(id, pending.requestToken(), key))
          .isInstanceOfSatisfying(IssuerException.class, e -> {
            assertThat(e.status()).isEqualTo(410);
            assertThat(e.problem().type()).endsWith("/approval-expired");
          });
    } finally {
      clock.set(before);
    }
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", approver("rita@example.com"), "{}"), 410))
        .isEqualTo("approval-expired");
    assertThat(loggedTypesOfRequestWithoutTask(issuer.store().findApproval(id).orElseThrow().taskId()))
        .containsExactly("approval.requested", "approval.expired");
  }

  @Test
  void aWithdrawnRequestCanNeitherBeApprovedNorCollected() throws Exception {
    TaskKey key = TaskKey.generate();
    ApprovalView pending = requestApproval("prod", key).approval();
    String id = pending.approvalId();
    assertThat(client.withdraw(id, pending.requestToken()).status()).isEqualTo("withdrawn");
    assertThat(problemType(send("POST", "/v1/admin/approvals/" + id + "/approve", approver("rita@example.com"), "{}"), 410))
        .isEqualTo("approval-withdrawn");
    assertThatThrownBy(() -> client.collect(id, pending.requestToken(), key))
        .isInstanceOfSatisfying(IssuerException.class, e -> assertThat(e.problem().type()).endsWith("/approval-withdrawn"));
    assertThat(loggedTypesOfRequestWithoutTask(issuer.store().findApproval(id).orElseThrow().taskId()))
        .containsExactly("approval.requested", "approval.withdrawn");
  }

  @Test
  void theAttestationIsSpentByTheRequest() throws Exception {
    Attestation attestation = attestation("prod");
    IssuerClient.Started first = client.start(attestation, TaskKey.generate(), List.of(), null);
    assertThat(first.approval().status()).isEqualTo("pending");
    assertThatThrownBy(() -> client.start(attestation, TaskKey.generate(), List.of(), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(401);
          assertThat(e.problem().type()).endsWith("/attestation-failed");
        });
  }

  /** {@code taskbound-issuer ARGS --config …} against the running issuer's store; exit code, out and err. */
  static String[] cli(String... args) {
    return ApprovalGatesCli.run(dir.resolve("issuer.yaml"), args);
  }

  @Test
  void operatorsApproveAndDenyFromTheCommandLineAndTheIssuerLogsIt() throws Exception {
    TaskKey key = TaskKey.generate();
    ApprovalView pending = requestApproval("prod", key).approval();
    String id = pending.approvalId();
    assertThat(cli("approvals", "list", "--pending")[1]).contains(id).contains("release-managers").contains("octocat");

    String[] self = cli("approvals", "approve", id, "--as", "octocat");
    assertThat(self[0]).isEqualTo("1");
    assertThat(self[2]).contains("octocat asked for this task and cannot approve it");
    String[] approved = cli("approvals", "approve", id, "--as", "rita");
    assertThat(approved[0]).as(approved[2]).isEqualTo("0");
    assertThat(approved[1]).contains(id + " approved (1/1 approvals)");
    assertThat(cli("approvals", "list", "--pending")[1]).doesNotContain(id);

    // The command has no evidence writer: the running issuer logs its decision (its scheduler does, or this call).
    issuer.tasks().approvals().logPendingEvidence(100);
    BeginTaskResponse task = client.collect(id, pending.requestToken(), key);
    client.end(task.taskId(), task.controlToken(), "succeeded", null);
    assertThat(loggedTypes(task.taskId())).containsSubsequence("approval.requested", "approval.granted", "task.begun");
    String bundle = new String(client.evidenceBundle(task.taskId()), java.nio.charset.StandardCharsets.UTF_8);
    String statement =
        new String(java.util.Base64.getDecoder().decode(ApiJson.mapper().readTree(bundle).at("/envelope/payload").asText()), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(statement).contains("\"approver\":\"rita\"").contains("\"approver_issuer\":\"cli\"");

    ApprovalView other = requestApproval("prod", TaskKey.generate()).approval();
    assertThat(cli("approvals", "deny", other.approvalId(), "--as", "rita")[0]).isEqualTo("2");
    String[] denied = cli("approvals", "deny", other.approvalId(), "--as", "rita", "--reason", "not during the freeze");
    assertThat(denied[1]).contains(other.approvalId() + " denied");
    assertThat(client.approval(other.approvalId(), other.requestToken()).reason()).isEqualTo("not during the freeze");
    issuer.tasks().approvals().logPendingEvidence(100);
    assertThat(loggedTypesOfRequestWithoutTask(issuer.store().findApproval(other.approvalId()).orElseThrow().taskId()))
        .containsExactly("approval.requested", "approval.denied");
  }

  @Test
  void aRuleWithoutApprovalStillBeginsAtOnce() {
    IssuerClient.Started started = client.start(attestation("build"), TaskKey.generate(), List.of(), null);
    assertThat(started.approval()).isNull();
    assertThat(started.task().spiffeId()).startsWith("spiffe://taskbound.test/build/");
  }
}
