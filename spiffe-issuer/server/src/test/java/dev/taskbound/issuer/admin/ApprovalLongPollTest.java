package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.attest.FakeTokenService;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.signals.ApprovalWebhook;
import dev.taskbound.issuer.testing.MutableClock;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Waiting callers and notified approvers, over real HTTP on loopback: {@code GET /v1/approvals/{id}?wait=} answers
 * as soon as the request changes (here, through the admin API, through an operator command on the data directory,
 * by its expiry), or when its capped wait is over; every new request is announced to a webhook receiver, signed with
 * HMAC-SHA256, and a receiver that fails is retried a bounded number of times.
 */
class ApprovalLongPollTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final AtomicInteger RUNS = new AtomicInteger(5000);
  private static final String SECRET = "webhook-secret-for-tests";
  @TempDir static Path dir;
  static StandInIdp idp;
  static FakeTokenService github;
  static MutableClock clock;
  static Issuer issuer;
  static IssuerClient client;
  static HttpServer receiver;
  static final BlockingQueue<Map<String, String>> deliveries = new LinkedBlockingQueue<>();
  /** How many of the next deliveries the receiver answers 503. */
  static final AtomicInteger failNext = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    idp = new StandInIdp();
    github = new FakeTokenService("", Clock.systemUTC());
    clock = new MutableClock(Instant.now());
    receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    receiver.createContext("/hook", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        deliveries.add(Map.of(
            "body", body,
            "signature", String.valueOf(exchange.getRequestHeaders().getFirst(ApprovalWebhook.SIGNATURE_HEADER)),
            "delivery", String.valueOf(exchange.getRequestHeaders().getFirst(ApprovalWebhook.DELIVERY_HEADER))));
        exchange.sendResponseHeaders(failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0 ? 503 : 204, -1);
      }
    });
    receiver.start();
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        String.join("\n",
            "rules:",
            "  - name: deploy-prod",
            "    when: ci.platform == 'github' && ci.environment == 'prod'",
            "    spiffe_id: \"spiffe://{trust_domain}/deploy/{ci.run_id}\"",
            "    max_ttl: 20m",
            "    approval: {group: release-managers, timeout: 10m}",
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
            "    roles: {rm: approver}",
            "  approval_webhook:",
            "    url: http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook",
            "    secret_env: TEST_WEBHOOK_SECRET",
            "    max_attempts: 3",
            "    initial_backoff: 100ms",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), clock, name -> name.equals("TEST_WEBHOOK_SECRET") ? SECRET : System.getenv(name));
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    issuer.close();
    github.close();
    idp.close();
    receiver.stop(0);
  }

  static ApprovalView requestApproval() {
    String runId = Integer.toString(RUNS.incrementAndGet());
    Attestation attestation = new Attestation("github", github.mint(issuer.url(), c -> c.claim("environment", "prod").claim("run_id", runId)));
    IssuerClient.Started started = client.start(attestation, TaskKey.generate(), List.of(), "10m");
    assertThat(started.task()).isNull();
    return started.approval();
  }

  static HttpResponse<String> poll(ApprovalView a, String wait) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/approvals/" + a.approvalId() + "?wait=" + wait))
            .header("Authorization", "Bearer " + a.requestToken())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static CompletableFuture<HttpResponse<String>> pollAsync(ApprovalView a, String wait) {
    return HTTP.sendAsync(
        HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/approvals/" + a.approvalId() + "?wait=" + wait))
            .header("Authorization", "Bearer " + a.requestToken())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until the issuer holds {@code n} long-polling callers, so a change cannot come before the wait began. */
  static void untilWaiting(int n) throws InterruptedException {
    for (int i = 0; i < 500 && issuer.tasks().approvals().watch().waiting() < n; i++) {
      Thread.sleep(10);
    }
    assertThat(issuer.tasks().approvals().watch().waiting()).isGreaterThanOrEqualTo(n);
  }

  static JsonNode body(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ApiJson.mapper().readTree(r.body());
  }

  @Test
  void aWaitingCallerHearsOfTheApprovalAsItHappens() throws Exception {
    ApprovalView a = requestApproval();
    // A 25 s wait (the cap): an answer well inside it, carrying the decision, came from the decision, not the timeout.
    CompletableFuture<HttpResponse<String>> waiting = pollAsync(a, "25s");
    untilWaiting(1);
    HttpResponse<String> approved =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/admin/approvals/" + a.approvalId() + "/approve"))
                .header("Authorization", "Bearer " + idp.token("rita@example.com", List.of("rm", "release-managers")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(approved.statusCode()).as(approved.body()).isEqualTo(200);
    JsonNode answer = body(waiting.get(20, TimeUnit.SECONDS));
    assertThat(answer.get("status").asText()).isEqualTo("approved");
    assertThat(answer.get("approved_by").toString()).isEqualTo("[\"rita@example.com\"]");
    assertThat(issuer.tasks().approvals().watch().waiting()).isZero();
  }

  @Test
  void aDecisionByAnOperatorCommandReachesTheWaitingCallerThroughTheStore() throws Exception {
    ApprovalView a = requestApproval();
    CompletableFuture<HttpResponse<String>> waiting = pollAsync(a, "20s");
    untilWaiting(1);
    String[] denied = ApprovalGatesCli.run(dir.resolve("issuer.yaml"), "approvals", "deny", a.approvalId(), "--as", "rita", "--reason", "freeze");
    assertThat(denied[0]).as(denied[2]).isEqualTo("0");
    JsonNode answer = body(waiting.get(10, TimeUnit.SECONDS));
    assertThat(answer.get("status").asText()).isEqualTo("denied");
    assertThat(answer.get("reason").asText()).isEqualTo("freeze");
  }

  @Test
  void aWaitWithoutChangeEndsAfterItsTimeAndAnsweredRequestsAnswerAtOnce() throws Exception {
    ApprovalView a = requestApproval();
    long started = System.nanoTime();
    assertThat(body(poll(a, "1s")).get("status").asText()).isEqualTo("pending");
    // It waited its second (a lower bound holds however busy the machine is).
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(900));

    client.withdraw(a.approvalId(), a.requestToken());
    assertThat(body(poll(a, "20s")).get("status").asText()).isEqualTo("withdrawn");

    assertThat(poll(a, "soon").statusCode()).isEqualTo(400);
    HttpResponse<String> wrongToken =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/approvals/" + a.approvalId() + "?wait=5s"))
                .header("Authorization", "Bearer tbar_wrong").build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(wrongToken.statusCode()).isEqualTo(401);
  }

  @Test
  void aWaitingCallerHearsOfTheExpiry() throws Exception {
    ApprovalView a = requestApproval();
    Instant before = clock.instant();
    // The request expires in 10 minutes of the issuer's clock: move it to a second before, then wait across it.
    clock.advance(Duration.ofMinutes(10).minusSeconds(1));
    try {
      CompletableFuture<HttpResponse<String>> waiting = pollAsync(a, "25s");
      untilWaiting(1);
      clock.advance(Duration.ofSeconds(2));
      JsonNode answer = body(waiting.get(20, TimeUnit.SECONDS));
      assertThat(answer.get("status").asText()).isEqualTo("expired");
    } finally {
      clock.set(before);
    }
  }

  @Test
  void everyNewRequestIsAnnouncedToTheWebhookSignedAndRetriedWhenTheReceiverFails() throws Exception {
    deliveries.clear();
    failNext.set(2);
    ApprovalView a = requestApproval();
    Map<String, String> first = deliveries.poll(10, TimeUnit.SECONDS);
    Map<String, String> second = deliveries.poll(10, TimeUnit.SECONDS);
    Map<String, String> third = deliveries.poll(10, TimeUnit.SECONDS);
    assertThat(third).as("the third attempt, after two 503s").isNotNull();
    assertThat(deliveries.poll(500, TimeUnit.MILLISECONDS)).as("no attempt after the one that was taken").isNull();
    assertThat(List.of(first.get("delivery"), second.get("delivery"))).containsOnly(third.get("delivery"));

    String body = third.get("body");
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    assertThat(third.get("signature")).isEqualTo("sha256=" + HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8))));
    JsonNode announced = ApiJson.mapper().readTree(body);
    assertThat(announced.get("type").asText()).isEqualTo("approval.requested");
    assertThat(announced.get("approval_id").asText()).isEqualTo(a.approvalId());
    assertThat(announced.get("group").asText()).isEqualTo("release-managers");
    assertThat(announced.get("requester").asText()).isEqualTo("octocat");
    assertThat(announced.get("url").asText()).isEqualTo(a.url());
    assertThat(Instant.parse(announced.get("expires_at").asText())).isEqualTo(a.expiresAt());
    assertThat(body).doesNotContain(a.requestToken());

    // A receiver that keeps failing gets max_attempts (3) tries, then no more.
    deliveries.clear();
    failNext.set(100);
    requestApproval();
    for (int i = 0; i < 3; i++) {
      assertThat(deliveries.poll(10, TimeUnit.SECONDS)).isNotNull();
    }
    assertThat(deliveries.poll(1500, TimeUnit.MILLISECONDS)).isNull();
    failNext.set(0);
  }

  static Attestation prodAttestation() {
    String runId = Integer.toString(RUNS.incrementAndGet());
    return new Attestation("github", github.mint(issuer.url(), c -> c.claim("environment", "prod").claim("run_id", runId)));
  }

  static void approveAs(String approvalId, String email) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/admin/approvals/" + approvalId + "/approve"))
                .header("Authorization", "Bearer " + idp.token(email, List.of("rm", "release-managers")))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void theAgentSideStepIdentityWaitsAndCollectsWithAProofSignedWhereTheKeyIs() throws Exception {
    BlockingQueue<ApprovalView> pending = new LinkedBlockingQueue<>();
    dev.taskbound.client.ApprovalWait wait =
        new dev.taskbound.client.ApprovalWait(client, dev.taskbound.client.ApprovalWait.DEFAULT_POLL, pending::add, Clock.systemUTC());
    Path parent = Files.createDirectories(dir.resolve("agent-ws@tmp"));
    dev.taskbound.client.StepIdentity identity = new dev.taskbound.client.StepIdentity(client);
    CompletableFuture<dev.taskbound.client.StepCredentials> begun =
        CompletableFuture.supplyAsync(() -> {
          try {
            return identity.begin(prodAttestation(), new dev.taskbound.client.LocalStepAgent(), parent.toString(), List.of(), "10m", List.of(), wait);
          } catch (Exception e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        });
    ApprovalView request = pending.poll(10, TimeUnit.SECONDS);
    assertThat(request).as(() -> begun.isDone() ? String.valueOf(begun.handle((c, t) -> t).join()) : "still beginning").isNotNull();
    assertThat(dev.taskbound.client.ApprovalWait.waitingLine(request))
        .startsWith("waiting for approval by release-managers: " + issuer.url() + "/v1/admin/approvals/apr_");
    untilWaiting(1);
    approveAs(request.approvalId(), "rita@example.com");
    dev.taskbound.client.StepCredentials creds = begun.get(30, TimeUnit.SECONDS);
    assertThat(creds.taskId()).isEqualTo(issuer.store().findApproval(request.approvalId()).orElseThrow().taskId());
    assertThat(Files.readString(Path.of(creds.written().svid()))).contains("BEGIN CERTIFICATE");
    identity.finish(creds.taskId(), creds.controlToken(), dev.taskbound.api.TaskOutcome.SUCCEEDED, null, new dev.taskbound.client.LocalStepAgent(), creds.written().directory());
  }

  @Test
  void interruptingTheWaitWithdrawsTheRequestAndLeavesNoKeyBehind() throws Exception {
    BlockingQueue<ApprovalView> pending = new LinkedBlockingQueue<>();
    dev.taskbound.client.ApprovalWait wait =
        new dev.taskbound.client.ApprovalWait(client, dev.taskbound.client.ApprovalWait.DEFAULT_POLL, pending::add, Clock.systemUTC());
    Path parent = Files.createDirectories(dir.resolve("agent-ws2@tmp"));
    CompletableFuture<Throwable> failure = new CompletableFuture<>();
    Thread step = new Thread(() -> {
      try {
        new dev.taskbound.client.StepIdentity(client)
            .begin(prodAttestation(), new dev.taskbound.client.LocalStepAgent(), parent.toString(), List.of(), "10m", List.of(), wait);
        failure.complete(null);
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    step.start();
    ApprovalView request = pending.poll(10, TimeUnit.SECONDS);
    untilWaiting(1);
    step.interrupt();
    Throwable t = failure.get(10, TimeUnit.SECONDS);
    assertThat(t).isInstanceOf(dev.taskbound.client.IssuerException.class).hasMessageContaining("withdrawn");
    assertThat(issuer.store().findApproval(request.approvalId()).orElseThrow().state())
        .isEqualTo(dev.taskbound.issuer.store.ApprovalState.WITHDRAWN);
    try (var left = Files.list(parent)) {
      assertThat(left).isEmpty();
    }
  }

  @Test
  void withdrawingFromAnotherThreadEndsTheWaitAtOnce() throws Exception {
    BlockingQueue<ApprovalView> pending = new LinkedBlockingQueue<>();
    dev.taskbound.client.ApprovalWait wait =
        new dev.taskbound.client.ApprovalWait(client, dev.taskbound.client.ApprovalWait.DEFAULT_POLL, pending::add, Clock.systemUTC());
    CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> {
      try {
        wait.begin(prodAttestation(), TaskKey.generate(), List.of(), "10m");
        return null;
      } catch (Throwable t) {
        return t;
      }
    });
    ApprovalView request = pending.poll(10, TimeUnit.SECONDS);
    untilWaiting(1);
    wait.withdraw();
    assertThat(failure.get(5, TimeUnit.SECONDS))
        .isInstanceOfSatisfying(dev.taskbound.client.IssuerException.class, e -> assertThat(e.problem().type()).endsWith("/approval-withdrawn"));
    assertThat(issuer.store().findApproval(request.approvalId()).orElseThrow().state())
        .isEqualTo(dev.taskbound.issuer.store.ApprovalState.WITHDRAWN);
  }
}
