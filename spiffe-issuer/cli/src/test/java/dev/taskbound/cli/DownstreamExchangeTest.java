package dev.taskbound.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.DownstreamToken;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.SessionOptions;
import dev.taskbound.client.SvidListener;
import dev.taskbound.client.Svids;
import dev.taskbound.client.TaskSession;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token exchange from the CLI's side ({@code TaskSession} with {@code exchange}, {@code taskbound run --exchange},
 * {@code taskbound begin --exchange} / {@code taskbound exchange}) against a real issuer on loopback whose policy
 * allows downstream tokens for AWS STS and Vault, with 3 s SVIDs and 4 s downstream tokens so refreshes happen.
 */
class DownstreamExchangeTest {
  static final String STS = "sts.amazonaws.com";
  static final String VAULT = "vault.example";
  static final String RP_SECRET = "aws-relying-party-secret-0123456789";
  static final String POLICY = String.join("\n",
      "rules:",
      "  - name: one-exchange",
      "    when: ci.platform == 'dev' && request.ttl_seconds == 660",
      "    spiffe_id: \"spiffe://{trust_domain}/dev/limited/{ci.token_id}\"",
      "    max_ttl: 30m",
      "    audiences: [sts.amazonaws.com, \"{url}\"]",
      "    max_exchanges: 1",
      "  - name: dev-exchange",
      "    when: ci.platform == 'dev'",
      "    spiffe_id: \"spiffe://{trust_domain}/dev/{ci.token_id}\"",
      "    max_ttl: 30m",
      "    audiences: [sts.amazonaws.com, vault.example, \"{url}\"]",
      "    max_exchanges: 100",
      "");

  @TempDir static Path dataDir;
  @TempDir Path work;
  static LoopbackIssuer issuer;
  static final ScheduledExecutorService SCHEDULER = Executors.newScheduledThreadPool(1);

  @BeforeAll
  static void start() throws Exception {
    issuer = LoopbackIssuer.withPolicy(dataDir, POLICY, Map.of("RP_SECRET", RP_SECRET),
        "ttl: {x509_svid: 3s, jwt_svid: 3s}",
        "exchange: {ttl: 4s}",
        "introspection: {clients: [{id: aws, secret_env: RP_SECRET, audiences: [sts.amazonaws.com]}]}");
  }

  @AfterAll
  static void stop() {
    issuer.close();
    SCHEDULER.shutdownNow();
  }

  @Test
  void downstreamTokensAreWrittenMaskedRefreshedPastHalfLifeAndRevokedAtEnd() throws Exception {
    TaskSession session = TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
        SessionOptions.defaults().withExchange(List.of(STS, VAULT)), Clock.systemUTC(), SCHEDULER);
    DownstreamToken first = session.downstreamTokens().get(STS);

    assertThat(session.downstreamTokens()).containsOnlyKeys(STS, VAULT);
    assertThat(session.current().jwtSvidFor(issuer.url())).as("the issuer-audience JWT-SVID the exchange needs").isPresent();
    for (String aud : List.of(STS, VAULT)) {
      Path file = session.downstreamFile(aud);
      assertThat(file.getFileName().toString()).isEqualTo("downstream." + aud + ".token");
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
      String token = Files.readString(file);
      assertThat(token).isEqualTo(session.downstreamTokens().get(aud).token());
      assertThat(SignedJWT.parse(token).getJWTClaimsSet().getAudience()).containsExactly(aud);
      assertThat(SignedJWT.parse(token).getJWTClaimsSet().getSubject()).isEqualTo(session.spiffeId());
      assertThat(session.secretsToMask()).contains(token);
    }
    assertThat(introspect(first.token()).get("active").asBoolean()).isTrue();

    // 4 s tokens are past half-life after 2 s; the 3 s SVIDs renew every 1.5 s: a renewal refreshes them.
    await().atMost(Duration.ofSeconds(20)).until(() -> !session.downstreamTokens().get(STS).token().equals(first.token()));
    DownstreamToken refreshed = session.downstreamTokens().get(STS);
    await().atMost(Duration.ofSeconds(5)).until(() -> Files.readString(session.downstreamFile(STS)).equals(session.downstreamTokens().get(STS).token()));
    assertThat(refreshed.issuedAt()).isAfterOrEqualTo(first.refreshAt());
    assertThat(session.secretsToMask()).contains(first.token(), refreshed.token());

    String last = session.downstreamTokens().get(STS).token();
    assertThat(session.end(TaskOutcome.SUCCEEDED, null).ended()).isTrue();

    assertThat(introspect(last).get("active").asBoolean()).as("revoked with the task").isFalse();
    assertThat(downstreamCredentials(session.taskId())).hasSizeGreaterThanOrEqualTo(3)
        .allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
  }

  @Test
  void aRefusedRefreshKeepsTheOldTokenAndIsReportedWhileRenewalGoesOn() throws Exception {
    List<String> refused = new CopyOnWriteArrayList<>();
    List<Svids> rotations = new CopyOnWriteArrayList<>();
    // ttl 11m selects the rule that allows one exchange: the one at begin.
    TaskSession session = TaskSession.begin(new IssuerClient(issuer.url()), issuer.devAttestation(),
        SessionOptions.defaults().withTtl("11m").withExchange(List.of(STS)), Clock.systemUTC(), SCHEDULER);
    session.addListener(new SvidListener() {
      @Override
      public void rotated(Svids svids) {
        rotations.add(svids);
      }

      @Override
      public void downstreamRefreshFailed(String audience, RuntimeException error, Instant stillValidUntil) {
        refused.add(audience + ": " + error.getMessage());
      }
    });
    String token = Files.readString(session.downstreamFile(STS));

    await().atMost(Duration.ofSeconds(20)).until(() -> !refused.isEmpty());
    int rotationsAtRefusal = rotations.size();

    assertThat(refused.get(0)).startsWith(STS + ": ").contains("invalid_grant").doesNotContain(token);
    assertThat(Files.readString(session.downstreamFile(STS))).isEqualTo(token);
    assertThat(session.downstreamTokens().get(STS).token()).isEqualTo(token);
    // The renewal that tried the refresh went through, and the next ones still do.
    assertThat(rotationsAtRefusal).isPositive();
    await().atMost(Duration.ofSeconds(20)).until(() -> rotations.size() > rotationsAtRefusal);
    assertThat(issuer.task(session.taskId()).active()).isTrue();
    session.end(TaskOutcome.SUCCEEDED, null);
  }

  @Test
  void runExchangesSetsTheAwsVariablesForTheCommandAndRevokesAtEnd() throws Exception {
    Path seen = work.resolve("seen");
    Path copy = work.resolve("token-copy");
    ProcessBuilder pb = taskbound("run", "--issuer", issuer.url(), "--exchange", STS, "--exchange", VAULT,
        "--aws-role-arn", "arn:aws:iam::123456789012:role/deploy", "--", "sh", "-c",
        "env | grep -E '^(AWS_|TASKBOUND_DOWNSTREAM_)' | sort > " + seen + "; stat -c '%a' \"$AWS_WEB_IDENTITY_TOKEN_FILE\" >> " + seen
            + "; cat \"$AWS_WEB_IDENTITY_TOKEN_FILE\" > " + copy);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(CliProcess.stderr(work)).isZero();
    String env = Files.readString(seen);
    String taskId = CliProcess.taskId(work);
    String dir = issuerDir(env);
    assertThat(env)
        .contains("AWS_ROLE_ARN=arn:aws:iam::123456789012:role/deploy")
        .contains("AWS_WEB_IDENTITY_TOKEN_FILE=" + dir + "/downstream.sts.amazonaws.com.token")
        .contains("TASKBOUND_DOWNSTREAM_STS_2EAMAZONAWS_2ECOM_FILE=" + dir + "/downstream.sts.amazonaws.com.token")
        .contains("TASKBOUND_DOWNSTREAM_VAULT_2EEXAMPLE_FILE=" + dir + "/downstream.vault.example.token")
        .contains("\n600\n")
        .doesNotContain("eyJ");
    SignedJWT token = SignedJWT.parse(Files.readString(copy));
    assertThat(token.getJWTClaimsSet().getAudience()).containsExactly(STS);
    assertThat(CliProcess.stderr(work)).doesNotContain("eyJ");
    assertThat(issuer.task(taskId).outcome()).isEqualTo(TaskOutcome.SUCCEEDED);
    assertThat(downstreamCredentials(taskId)).extracting(CredentialRecord::audience).contains(STS, VAULT);
    assertThat(downstreamCredentials(taskId)).allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
    assertThat(introspect(token.serialize()).get("active").asBoolean()).isFalse();
  }

  @Test
  void aRefusedExchangeAtBeginEndsTheTaskFailedAndTheCommandNeverRuns() throws Exception {
    Path ran = work.resolve("ran");
    long failedBefore = failedAtBegin();
    Process p = taskbound("run", "--issuer", issuer.url(), "--exchange", "not-allowed.example", "--", "touch", ran.toString()).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

    assertThat(p.exitValue()).as(CliProcess.stderr(work)).isEqualTo(TaskboundCli.EXIT_BEGIN_FAILED);
    assertThat(CliProcess.stderr(work)).contains("invalid_target");
    assertThat(ran).doesNotExist();
    assertThat(failedAtBegin()).isEqualTo(failedBefore + 1);
    try (var left = Files.list(work)) {
      assertThat(left).noneMatch(f -> f.getFileName().toString().startsWith("taskbound-"));
    }
  }

  @Test
  void shellsExchangeAtBeginAndOnDemandAndEndRevokesEveryToken(@TempDir Path shellIssuerDir) throws Exception {
    // A shell renews by hand, so this issuer keeps its default SVID lifetimes: JVM start-ups must not outlive them.
    try (LoopbackIssuer shellIssuer = LoopbackIssuer.withPolicy(shellIssuerDir, POLICY, Map.of())) {
      shells(shellIssuer);
    }
  }

  private void shells(LoopbackIssuer shellIssuer) throws Exception {
    Path dir = work.resolve("shell-task");
    ProcessBuilder beginPb = CliProcess.taskbound(work, "begin", "--issuer", shellIssuer.url(), "--exchange", STS,
        "--aws-role-arn", "arn:aws:iam::1:role/r", "--dir", dir.toString());
    beginPb.environment().put("TASKBOUND_DEV_TOKEN", shellIssuer.devToken());
    Process begin = beginPb.start();
    assertThat(begin.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(begin.exitValue()).as(CliProcess.stderr(work)).isZero();
    assertThat(CliProcess.stdout(work))
        .contains("export AWS_WEB_IDENTITY_TOKEN_FILE='" + dir + "/downstream.sts.amazonaws.com.token'")
        .contains("export AWS_ROLE_ARN='arn:aws:iam::1:role/r'")
        .doesNotContain("eyJ");
    String taskId = CliProcess.taskId(work);

    Process exchange = shell(dir, "exchange", VAULT).start();
    assertThat(exchange.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(exchange.exitValue()).as(CliProcess.stderr(work)).isZero();
    Path vaultFile = dir.resolve("downstream.vault.example.token");
    assertThat(CliProcess.stdout(work).strip()).isEqualTo(vaultFile.toString());
    assertThat(SignedJWT.parse(Files.readString(vaultFile)).getJWTClaimsSet().getAudience()).containsExactly(VAULT);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(vaultFile))).isEqualTo("rw-------");
    assertThat(CliProcess.stderr(work)).doesNotContain("eyJ");

    Process printed = shell(dir, "exchange", "--print-token", VAULT).start();
    assertThat(printed.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(printed.exitValue()).as(CliProcess.stderr(work)).isZero();
    assertThat(CliProcess.stdout(work).strip()).startsWith("eyJ").isEqualTo(Files.readString(vaultFile));

    Process end = shell(dir, "end").start();
    assertThat(end.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(end.exitValue()).as(CliProcess.stderr(work)).isZero();
    assertThat(dir).doesNotExist();
    assertThat(shellIssuer.issuer().store().credentialsOf(taskId)).filteredOn(c -> c.kind() == CredentialKind.DOWNSTREAM_TOKEN).hasSize(3).allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
  }

  private ProcessBuilder taskbound(String... args) {
    ProcessBuilder pb = CliProcess.taskbound(work, args);
    pb.environment().put("TASKBOUND_DEV_TOKEN", issuer.devToken());
    return pb;
  }

  private ProcessBuilder shell(Path dir, String... args) {
    ProcessBuilder pb = CliProcess.taskbound(work, args);
    pb.environment().put("TASKBOUND_SVID_DIR", dir.toString());
    return pb;
  }

  private static String issuerDir(String env) {
    String line = env.lines().filter(l -> l.startsWith("AWS_WEB_IDENTITY_TOKEN_FILE=")).findFirst().orElseThrow();
    return Path.of(line.substring(line.indexOf('=') + 1)).getParent().toString();
  }

  private static List<CredentialRecord> downstreamCredentials(String taskId) {
    return issuer.issuer().store().credentialsOf(taskId).stream().filter(c -> c.kind() == CredentialKind.DOWNSTREAM_TOKEN).toList();
  }

  private static long failedAtBegin() {
    return issuer.issuer().store().listTasks(null, 1000).stream()
        .filter(t -> t.outcome() == TaskOutcome.FAILED && "token exchange at begin failed".equals(t.endReason())).count();
  }

  /** RFC 7662, as the relying party for sts.amazonaws.com asks. */
  private static JsonNode introspect(String token) throws Exception {
    HttpRequest req = HttpRequest.newBuilder(URI.create(issuer.url() + "/introspect"))
        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(("aws:" + RP_SECRET).getBytes(StandardCharsets.UTF_8)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString("token=" + URLEncoder.encode(token, StandardCharsets.UTF_8)))
        .build();
    HttpResponse<String> res = HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return ApiJson.mapper().readTree(res.body());
  }
}
