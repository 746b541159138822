package dev.taskbound.issuer.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.ApprovalView;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.CredentialStatus;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.attest.FakeTokenService;
import dev.taskbound.issuer.cli.IssuerCli;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code taskbound-issuer report} against a running issuer's store: tasks begun through the API by two attestors
 * (one exchanged a downstream token, one waited for approval, one is still active; one before and one after the
 * period), approvals granted and denied from the CLI, standing exceptions added, reviewed and revoked. Every figure
 * of the report is compared with one this test computes from what it did and from the store's own records.
 */
class AuditReportTest {
  private static final int RUNS_START = 5000;
  @TempDir Path dir;
  FakeTokenService github;
  Issuer issuer;
  IssuerClient client;
  int runs = RUNS_START;

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    if (github != null) {
      github.close();
    }
  }

  /** platform → outcome ("active" while active) of each task begun in the period, as this test made them. */
  private final Map<String, String> platformOf = new LinkedHashMap<>();
  private final Map<String, String> outcomeOf = new LinkedHashMap<>();

  @Test
  void theReportCountsWhatHappenedInThePeriodAndNothingElse() throws Exception {
    start();
    BeginTaskResponse before = devTask(List.of(), "10m");
    client.end(before.taskId(), before.controlToken(), "succeeded", null);
    Thread.sleep(20);
    Instant from = Instant.now();
    Thread.sleep(20);

    // dev: one exchanges a downstream token and succeeds, one fails, one stays active. Lifetimes differ, so the
    // residual exposures (credential validity left at the end) spread.
    BeginTaskResponse exchanged = devTask(List.of(issuer.url(), "sts.example"), "10m");
    String subject = exchanged.jwtSvids().stream().filter(j -> j.audience().equals(issuer.url())).findFirst().orElseThrow().token();
    client.exchange(subject, "sts.example");
    end(exchanged, "dev", "succeeded");
    end(devTask(List.of(issuer.url()), "2m"), "dev", "failed");
    BeginTaskResponse active = devTask(List.of(), "10m");
    platformOf.put(active.taskId(), "dev");
    outcomeOf.put(active.taskId(), "active");

    // github: a build aborted; a deploy approved by rita, then run; a deploy denied by sam.
    end(client.begin(github("build"), TaskKey.generate(), List.of(), "90s"), "github", "aborted");
    TaskKey key = TaskKey.generate();
    ApprovalView approved = client.start(github("prod"), key, List.of("sts.amazonaws.com"), "10m").approval();
    assertThat(cli("approvals", "approve", approved.approvalId(), "--as", "rita")[0]).isEqualTo("0");
    end(client.collect(approved.approvalId(), approved.requestToken(), key), "github", "succeeded");
    ApprovalView denied = client.start(github("prod"), TaskKey.generate(), List.of(), "10m").approval();
    assertThat(cli("approvals", "deny", denied.approvalId(), "--as", "sam", "--reason", "change freeze")[0]).isEqualTo("0");

    // Standing exceptions: one added and reviewed, one added and revoked.
    String kept = exceptionId(cli("exceptions", "add", "--identity", "AWS IAM user deploy-bot", "--scope", "prod: s3 write",
        "--owner", "platform-team", "--reason", "legacy release job", "--expires-in", "30d", "--as", "bob"));
    String gone = exceptionId(cli("exceptions", "add", "--identity", "Jenkins credential legacy-ssh | prod", "--scope", "ssh to bastion",
        "--owner", "ops", "--reason", "break glass", "--expires-in", "10d", "--as", "bob"));
    assertThat(cli("exceptions", "review", kept, "--as", "carol", "--note", "still needed")[0]).isEqualTo("0");
    assertThat(cli("exceptions", "revoke", gone, "--as", "dave", "--reason", "key removed")[0]).isEqualTo("0");

    Thread.sleep(20);
    Instant to = Instant.now();
    Thread.sleep(20);
    BeginTaskResponse after = devTask(List.of(), "10m");
    client.end(after.taskId(), after.controlToken(), "succeeded", null); // after the period: it must not count

    String[] run = cli("report", "--from", from.toString(), "--to", to.toString(), "--format", "json");
    assertThat(run[0]).as(run[2]).isEqualTo("0");
    JsonNode report = ApiJson.mapper().readTree(run[1]);

    assertThat(report.get("report").asText()).isEqualTo(AuditReport.FORMAT);
    assertThat(report.at("/period/from").asText()).isEqualTo(from.toString());
    assertThat(report.at("/period/to").asText()).isEqualTo(to.toString());
    assertThat(report.get("trust_domain").asText()).isEqualTo("taskbound.test");

    // Tasks by platform and outcome.
    Expected expected = expected();
    assertThat(report.at("/tasks/total").asLong()).isEqualTo(outcomeOf.size());
    assertThat(counts(report.at("/tasks/by_outcome"))).isEqualTo(expected.byOutcome);
    Map<String, Map<String, Long>> byPlatform = new TreeMap<>();
    for (JsonNode p : report.at("/tasks/by_platform")) {
      byPlatform.put(p.get("platform").asText(), counts(p.get("by_outcome")));
      assertThat(p.get("total").asLong()).isEqualTo(platformOf.values().stream().filter(p.get("platform").asText()::equals).count());
    }
    assertThat(byPlatform).isEqualTo(expected.byPlatform);

    // Credentials by kind and their residual exposure, from the store's records of these tasks.
    assertThat(counts(report.at("/credentials/issued/by_kind"))).isEqualTo(expected.issuedByKind);
    assertThat(expected.issuedByKind.get("downstream-token")).isEqualTo(1);
    JsonNode exposure = report.at("/credentials/residual_exposure_seconds");
    assertThat(exposure.get("measured").asLong()).isEqualTo(expected.residuals.size());
    assertThat(exposure.get("pending").asLong()).isEqualTo(expected.pending);
    assertThat(exposure.get("zero").asLong()).isEqualTo(expected.residuals.stream().filter(r -> r == 0).count());
    assertThat(exposure.get("p50").asLong()).isEqualTo(nearestRank(expected.residuals, 50));
    assertThat(exposure.get("p90").asLong()).isEqualTo(nearestRank(expected.residuals, 90));
    assertThat(exposure.get("max").asLong()).isEqualTo(expected.residuals.get(expected.residuals.size() - 1));
    assertThat(exposure.at("/by_kind/downstream-token/measured").asLong()).isEqualTo(1);

    // Approvals and who gave them.
    assertThat(report.at("/approvals/total").asLong()).isEqualTo(2);
    assertThat(report.at("/approvals/by_state/issued").asLong()).isEqualTo(1);
    assertThat(report.at("/approvals/by_state/denied").asLong()).isEqualTo(1);
    assertThat(report.at("/approvals/by_approver").toString()).isEqualTo("[{\"approver\":\"rita\",\"approvals\":1}]");
    JsonNode requests = report.at("/approvals/requests");
    assertThat(requests.findValuesAsText("approval_id")).containsExactly(approved.approvalId(), denied.approvalId());
    assertThat(requests.get(0).get("approved_by").toString()).isEqualTo("[\"rita\"]");
    assertThat(requests.get(0).get("requester").asText()).isEqualTo("octocat");
    assertThat(requests.get(1).get("decided_by").asText()).isEqualTo("sam");
    assertThat(requests.get(1).get("reason").asText()).isEqualTo("change freeze");

    // Standing exceptions, their age and state.
    JsonNode exceptions = report.at("/standing_exceptions");
    assertThat(exceptions.get("total").asLong()).isEqualTo(2);
    assertThat(exceptions.at("/by_state/active").asLong()).isEqualTo(1);
    assertThat(exceptions.at("/by_state/revoked").asLong()).isEqualTo(1);
    assertThat(exceptions.get("added").asLong()).isEqualTo(2);
    assertThat(exceptions.get("reviews").asLong()).isEqualTo(1);
    assertThat(exceptions.get("revoked").asLong()).isEqualTo(1);
    JsonNode first = exceptions.get("exceptions").get(0);
    assertThat(first.get("exception_id").asText()).isEqualTo(kept);
    assertThat(first.get("state").asText()).isEqualTo("active");
    assertThat(first.get("last_reviewed_by").asText()).isEqualTo("carol");
    assertThat(first.get("age_days").asLong()).isZero();
    JsonNode second = exceptions.get("exceptions").get(1);
    assertThat(second.get("exception_id").asText()).isEqualTo(gone);
    assertThat(second.get("revoked_by").asText()).isEqualTo("dave");
    assertThat(second.get("revoke_reason").asText()).isEqualTo("key removed");

    // A period before any of it: nothing but zeroes, and the exceptions did not exist yet.
    JsonNode empty = ApiJson.mapper().readTree(cli("report", "--from", "2020-01-01", "--to", "2020-02-01", "--format", "json")[1]);
    assertThat(empty.at("/tasks/total").asLong()).isZero();
    assertThat(empty.at("/credentials/residual_exposure_seconds/p50").isNull()).isTrue();
    assertThat(empty.at("/standing_exceptions/total").asLong()).isZero();

    // Markdown says the same for people.
    String[] md = cli("report", "--from", from.toString(), "--to", to.toString());
    assertThat(md[0]).isEqualTo("0");
    String markdown = md[1];
    assertThat(markdown).startsWith("# Taskbound audit report");
    assertThat(markdown).contains("**" + outcomeOf.size() + " tasks**");
    for (Map.Entry<String, Map<String, Long>> p : expected.byPlatform.entrySet()) {
      assertThat(markdown).contains("| " + p.getKey() + " | " + p.getValue().values().stream().mapToLong(Long::longValue).sum() + " | "
          + String.join(" | ", p.getValue().values().stream().map(String::valueOf).toList()) + " |");
    }
    assertThat(markdown).contains("p50 **" + nearestRank(expected.residuals, 50) + " s**, p90 **" + nearestRank(expected.residuals, 90) + " s**");
    assertThat(markdown).contains("approvals by rita (1)");
    assertThat(markdown).contains("| " + approved.approvalId() + " |").contains("sam: change freeze");
    assertThat(markdown).contains("| " + kept + " | AWS IAM user deploy-bot |").contains("carol");
    assertThat(markdown).as("a pipe in a value cannot break the table").contains("Jenkins credential legacy-ssh \\| prod");
    assertThat(cli("report", "--from", to.toString(), "--to", from.toString())[0]).isEqualTo("2");
    assertThat(cli("report", "--format", "pdf")[0]).isEqualTo("2");
    Path file = dir.resolve("audit.md");
    assertThat(cli("report", "--from", from.toString(), "--to", to.toString(), "--output", file.toString())[0]).isEqualTo("0");
    assertThat(Files.readString(file)).startsWith("# Taskbound audit report").contains("| " + kept + " |");
  }

  // ---- what the test expects, computed from what it did and the store's records --------------------------------

  private record Expected(
      Map<String, Long> byOutcome, Map<String, Map<String, Long>> byPlatform, Map<String, Long> issuedByKind,
      List<Long> residuals, long pending) {}

  private Expected expected() {
    List<String> columns = new ArrayList<>(List.of("active"));
    Arrays.stream(TaskOutcome.values()).forEach(o -> columns.add(o.wire()));
    Map<String, Long> byOutcome = zeroes(columns);
    Map<String, Map<String, Long>> byPlatform = new TreeMap<>();
    Map<String, Long> byKind = zeroes(List.of("x509-svid", "jwt-svid", "downstream-token"));
    List<Long> residuals = new ArrayList<>();
    long pending = 0;
    for (Map.Entry<String, String> t : outcomeOf.entrySet()) {
      byOutcome.merge(t.getValue(), 1L, Long::sum);
      byPlatform.computeIfAbsent(platformOf.get(t.getKey()), p -> zeroes(columns)).merge(t.getValue(), 1L, Long::sum);
      TaskRecord task = issuer.store().findTask(t.getKey()).orElseThrow();
      for (CredentialRecord c : issuer.store().credentialsOf(t.getKey())) {
        byKind.merge(c.kind().wire(), 1L, Long::sum);
        if (task.endedAt() == null) {
          pending++;
        } else {
          Instant cut = c.revokedAt() != null ? c.revokedAt() : task.endedAt();
          residuals.add(Math.max(0, c.expiresAt().getEpochSecond() - cut.getEpochSecond()));
        }
      }
    }
    residuals.sort(null);
    assertThat(residuals).as("a spread, so the percentiles tell apart").hasSizeGreaterThan(5);
    assertThat(nearestRank(residuals, 50)).isNotEqualTo(nearestRank(residuals, 90));
    return new Expected(byOutcome, byPlatform, byKind, residuals, pending);
  }

  private static long nearestRank(List<Long> sorted, int percent) {
    int rank = (int) Math.ceil(percent / 100.0 * sorted.size());
    return sorted.get(Math.max(rank, 1) - 1);
  }

  private static Map<String, Long> zeroes(List<String> keys) {
    Map<String, Long> m = new LinkedHashMap<>();
    keys.forEach(k -> m.put(k, 0L));
    return m;
  }

  private static Map<String, Long> counts(JsonNode node) {
    Map<String, Long> m = new LinkedHashMap<>();
    node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asLong()));
    return m;
  }

  // ---- the issuer and its callers ------------------------------------------------------------------------------

  private void start() throws Exception {
    github = new FakeTokenService("", Clock.systemUTC());
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    String url = "http://127.0.0.1:" + port;
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        String.join("\n",
            "rules:",
            "  - name: dev-build",
            "    when: ci.platform == 'dev'",
            "    spiffe_id: \"spiffe://{trust_domain}/dev/{ci.token_id}\"",
            "    max_ttl: 30m",
            "    audiences: [\"" + url + "\", sts.example]",
            "    max_exchanges: 3",
            "  - name: deploy-prod",
            "    when: ci.platform == 'github' && ci.environment == 'prod'",
            "    spiffe_id: \"spiffe://{trust_domain}/deploy/{ci.run_id}\"",
            "    max_ttl: 20m",
            "    audiences: [sts.amazonaws.com]",
            "    approval: release-managers",
            "  - name: build",
            "    when: ci.platform == 'github' && ci.environment == 'build'",
            "    spiffe_id: \"spiffe://{trust_domain}/build/{ci.run_id}\"",
            "    max_ttl: 20m",
            ""));
    Files.writeString(
        dir.resolve("issuer.yaml"),
        String.join("\n",
            "dev: true",
            "listen: 127.0.0.1:" + port,
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "attestors:",
            "  github: {issuer: \"" + github.issuer() + "\"}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(dir.resolve("issuer.yaml")), Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  private BeginTaskResponse devTask(List<String> audiences, String ttl) {
    return client.begin(new Attestation("dev", issuer.mintDevToken(java.time.Duration.ofMinutes(5))), TaskKey.generate(), audiences, ttl);
  }

  private Attestation github(String environment) {
    String runId = Integer.toString(++runs);
    return new Attestation("github", github.mint(issuer.url(), c -> c.claim("environment", environment).claim("run_id", runId)));
  }

  private void end(BeginTaskResponse task, String platform, String outcome) {
    client.end(task.taskId(), task.controlToken(), outcome, null);
    platformOf.put(task.taskId(), platform);
    outcomeOf.put(task.taskId(), outcome);
  }

  private static String exceptionId(String[] run) {
    assertThat(run[0]).as(run[2]).isEqualTo("0");
    Matcher m = Pattern.compile("exc_[a-z2-7]{26}").matcher(run[1]);
    assertThat(m.find()).isTrue();
    return m.group();
  }

  private String[] cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = IssuerCli.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    List<String> all = new ArrayList<>(Arrays.asList(args));
    all.addAll(List.of("--config", dir.resolve("issuer.yaml").toString()));
    return new String[] {Integer.toString(cl.execute(all.toArray(String[]::new))), out.toString(), err.toString()};
  }
}
