package dev.taskbound.issuer.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /metrics} of a running dev issuer, scraped over real HTTP before and after real task lifecycles. */
class MetricsApiTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir Path dir;
  Issuer issuer;

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
  }

  private void start(String extraYaml, Map<String, String> env) throws Exception {
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(config, "dev: true\nlisten: 127.0.0.1:0\ndata_dir: " + dir.resolve("data") + "\n" + extraYaml);
    IssuerConfig cfg = ConfigLoader.load(config);
    issuer = Issuer.start(cfg, Clock.systemUTC(), env::get);
  }

  private HttpResponse<String> scrape(String bearer) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(issuer.url() + "/metrics"));
    if (bearer != null) {
      r.header("Authorization", "Bearer " + bearer);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of one sample, e.g. {@code taskbound_tasks_ended_total{outcome="succeeded"}}; the tags in any order. */
  static double value(String body, String name, Map<String, String> tags) {
    Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);
    Matcher m = line.matcher(body);
    while (m.find()) {
      Map<String, String> found = new TreeMap<>();
      if (m.group(2) != null) {
        Matcher t = Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(m.group(2));
        while (t.find()) {
          found.put(t.group(1), t.group(2));
        }
      }
      if (found.entrySet().containsAll(tags.entrySet())) {
        return Double.parseDouble(m.group(3));
      }
    }
    return Assertions.fail("no sample " + name + tags + " in the scrape");
  }

  @Test
  void aBeginAndEndShowInTheCountersGaugesAndHistograms() throws Exception {
    start("", Map.of());
    IssuerClient client = new IssuerClient(issuer.url());
    String before = scrape(null).body();
    assertThat(value(before, "taskbound_tasks_ended_total", Map.of("outcome", "succeeded"))).isZero();
    assertThat(value(before, "taskbound_credentials_valid_after_task_end", Map.of("kind", "jwt-svid", "revoked", "true"))).isZero();

    String devToken = issuer.mintDevToken(Duration.ofMinutes(5));
    BeginTaskResponse begun = client.begin(new Attestation("dev", devToken), TaskKey.generate(), List.of("aud-1", "aud-2"), null);
    String during = scrape(null).body();
    assertThat(value(during, "taskbound_tasks_begun_total", Map.of("attestor", "dev"))).isEqualTo(1);
    assertThat(value(during, "taskbound_tasks_active", Map.of())).isEqualTo(1);
    assertThat(value(during, "taskbound_credentials_issued_total", Map.of("kind", "x509-svid"))).isEqualTo(1);
    assertThat(value(during, "taskbound_credentials_issued_total", Map.of("kind", "jwt-svid"))).isEqualTo(2);

    // A replayed attestation: counted as an attestation failure of a closed class, never by token or task.
    Assertions.assertThatThrownBy(() -> client.begin(new Attestation("dev", devToken), TaskKey.generate(), List.of("aud-1"), null))
        .isInstanceOf(IssuerException.class);
    client.renew(begun.taskId(), begun.controlToken());
    client.end(begun.taskId(), begun.controlToken(), "succeeded", null);

    String after = scrape(null).body();
    assertThat(value(after, "taskbound_tasks_ended_total", Map.of("outcome", "succeeded"))).isEqualTo(1);
    assertThat(value(after, "taskbound_tasks_active", Map.of())).isZero();
    assertThat(value(after, "taskbound_credentials_issued_total", Map.of("kind", "jwt-svid"))).isEqualTo(4);
    assertThat(value(after, "taskbound_credentials_revoked_total", Map.of("kind", "jwt-svid"))).isEqualTo(4);
    assertThat(value(after, "taskbound_credentials_revoked_total", Map.of("kind", "x509-svid"))).isEqualTo(2);
    assertThat(value(after, "taskbound_attestation_failures_total", Map.of("attestor", "dev", "failure", "replayed"))).isEqualTo(1);
    // Revoked at the end but not expired: what an offline verifier still accepts (4 JWT-SVIDs, 2 X.509-SVIDs).
    assertThat(value(after, "taskbound_credentials_valid_after_task_end", Map.of("kind", "jwt-svid", "revoked", "true"))).isEqualTo(4);
    assertThat(value(after, "taskbound_credentials_valid_after_task_end", Map.of("kind", "x509-svid", "revoked", "true"))).isEqualTo(2);
    assertThat(value(after, "taskbound_credentials_valid_after_task_end", Map.of("kind", "jwt-svid", "revoked", "false"))).isZero();
    // Latency histograms per operation, with buckets.
    assertThat(value(after, "taskbound_http_requests_seconds_count", Map.of("operation", "begin", "status", "201"))).isEqualTo(1);
    assertThat(value(after, "taskbound_http_requests_seconds_count", Map.of("operation", "begin", "status", "401"))).isEqualTo(1);
    assertThat(value(after, "taskbound_http_requests_seconds_count", Map.of("operation", "renew", "status", "200"))).isEqualTo(1);
    assertThat(value(after, "taskbound_http_requests_seconds_count", Map.of("operation", "end", "status", "200"))).isEqualTo(1);
    assertThat(after).containsPattern("taskbound_http_requests_seconds_bucket\\{[^}]*operation=\"begin\"[^}]*le=\"[0-9.]+\"");
    assertThat(value(after, "taskbound_evidence_append_seconds_count", Map.of("status", "ok"))).isGreaterThanOrEqualTo(3);
    assertThat(value(after, "taskbound_store_calls_seconds_count", Map.of("operation", "endTask", "status", "ok"))).isEqualTo(1);
    assertThat(value(after, "taskbound_signals_backlog", Map.of())).isZero();
    // One series per state from the start (AdminExceptionsApiTest moves them).
    for (String state : List.of("active", "expiring", "expired", "unreviewed")) {
      assertThat(value(after, "taskbound_standing_exceptions", Map.of("state", state))).isZero();
    }
    assertThat(after).contains("jvm_memory_used_bytes").contains("process_uptime_seconds");
    // Never a task id, SPIFFE ID or token in a label.
    assertThat(after).doesNotContain(begun.taskId()).doesNotContain(begun.spiffeId()).doesNotContain("tbdev_");

    // The names and types dashboards and alerts depend on (docs/operations.md lists them).
    Map<String, String> exported = new TreeMap<>();
    Matcher m = Pattern.compile("^# TYPE (taskbound_\\w+) (\\w+)$", Pattern.MULTILINE).matcher(after);
    while (m.find()) {
      exported.put(m.group(1), m.group(2));
    }
    assertThat(exported).isEqualTo(FAMILIES);
  }

  /** Prometheus family names and types, as scrapers see them. Change this only with docs/operations.md. */
  static final Map<String, String> FAMILIES =
      new TreeMap<>(Map.ofEntries(
          Map.entry("taskbound_tasks_begun_total", "counter"),
          Map.entry("taskbound_tasks_ended_total", "counter"),
          Map.entry("taskbound_tasks_active", "gauge"),
          Map.entry("taskbound_credentials_issued_total", "counter"),
          Map.entry("taskbound_credentials_revoked_total", "counter"),
          Map.entry("taskbound_credentials_valid_after_task_end", "gauge"),
          Map.entry("taskbound_policy_denies_total", "counter"),
          Map.entry("taskbound_attestation_failures_total", "counter"),
          Map.entry("taskbound_http_requests_seconds", "histogram"),
          Map.entry("taskbound_http_requests_seconds_max", "gauge"),
          Map.entry("taskbound_http_active_requests", "gauge"),
          Map.entry("taskbound_evidence_append_seconds", "histogram"),
          Map.entry("taskbound_evidence_append_seconds_max", "gauge"),
          Map.entry("taskbound_evidence_queue_depth", "gauge"),
          Map.entry("taskbound_signals_backlog", "gauge"),
          Map.entry("taskbound_store_calls_seconds", "summary"),
          Map.entry("taskbound_store_calls_seconds_max", "gauge"),
          Map.entry("taskbound_standing_exceptions", "gauge")));

  @Test
  void withATokenConfiguredMetricsAnswerOnlyToIt() throws Exception {
    start("metrics:\n  bearer_token_env: TB_METRICS\n", Map.of("TB_METRICS", "scrape-secret-1"));
    assertThat(scrape(null).statusCode()).isEqualTo(401);
    HttpResponse<String> wrong = scrape("scrape-secret-2");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(wrong.body()).contains("https://taskbound.dev/problems/not-authenticated").doesNotContain("scrape-secret");
    HttpResponse<String> ok = scrape("scrape-secret-1");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
    assertThat(ok.body()).contains("taskbound_tasks_active");
  }
}
