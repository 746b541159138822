package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.JdbcStore;
import dev.taskbound.issuer.store.TaskState;
import dev.taskbound.issuer.testing.ScratchDatabase;
import dev.taskbound.issuer.testing.ShiftedClock;
import dev.taskbound.issuer.testing.TcpProxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The database goes away under a running issuer (PostgreSQL reached through a loopback proxy the test cuts): every
 * request is answered 503 with a problem type and {@code Retry-After} after the configured connection timeout,
 * nothing is issued, {@code /readyz} says so, and service resumes by itself when the database is back.
 */
class DatabaseOutageTest {
  private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutageTest.class);
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Pattern HOST_PORT = Pattern.compile("//([^/:]+):(\\d+)/");
  private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(2);

  @TempDir Path dir;
  private ScratchDatabase db;
  private TcpProxy proxy;
  private Issuer issuer;

  @BeforeEach
  void start() throws Exception {
    db = ScratchDatabase.postgres();
    Matcher m = HOST_PORT.matcher(db.schemaUrl());
    assertThat(m.find()).isTrue();
    proxy = new TcpProxy(m.group(1), Integer.parseInt(m.group(2)));
    String proxied = m.replaceFirst("//127.0.0.1:" + proxy.port() + "/");
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:0",
            "data_dir: " + dir.resolve("data"),
            "store: {postgres_url: '" + proxied + "', password_env: '', connection_timeout: PT2S}",
            "ttl: {task_default: 30m, heartbeat: 10m}",
            ""));
    issuer = Issuer.start(ConfigLoader.load(config), new ShiftedClock());
  }

  @AfterEach
  void stop() {
    if (issuer != null) {
      issuer.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void unreachableDatabaseIsA503WithRetryAfterAndServiceResumesByItself() throws Exception {
    IssuerClient client = new IssuerClient(issuer.url());
    // The pool waits the configured time, not Hikari's 30 s default.
    assertThat(((JdbcStore) issuer.store()).connectionTimeout()).isEqualTo(CONNECTION_TIMEOUT);
    BeginTaskResponse before = begin(client, issuer.mintDevToken(Duration.ofMinutes(5)));
    String tokenForOutage = issuer.mintDevToken(Duration.ofMinutes(5));
    assertThat(get("/readyz").statusCode()).isEqualTo(200);

    proxy.cut();

    HttpResponse<String> ready = get("/readyz");
    assertProblem(ready, "store-unavailable");
    assertThat(get("/healthz").statusCode()).as("liveness stays up").isEqualTo(200);

    long started = System.nanoTime();
    HttpResponse<String> begin = post("/v1/tasks", beginBody(tokenForOutage));
    long beginMillis = (System.nanoTime() - started) / 1_000_000;
    assertProblem(begin, "evidence-unavailable");
    started = System.nanoTime();
    HttpResponse<String> view = send(HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/tasks/" + before.taskId()))
        .header("Authorization", "Bearer " + before.controlToken()).GET().build());
    long viewMillis = (System.nanoTime() - started) / 1_000_000;
    assertProblem(view, "store-unavailable");
    HttpResponse<String> renew = send(HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/tasks/" + before.taskId() + "/renew"))
        .header("Authorization", "Bearer " + before.controlToken()).POST(HttpRequest.BodyPublishers.noBody()).build());
    assertThat(renew.statusCode()).isEqualTo(503);
    assertThat(renew.headers().firstValue("Retry-After")).contains("5");
    // Reported, not asserted (a busy machine may be slower): how long a request waits before its 503.
    LOG.info("database outage: begin answered 503 after {} ms, task view after {} ms (connection_timeout {})",
        beginMillis, viewMillis, CONNECTION_TIMEOUT);

    proxy.restore();

    // Wait for the event: readiness comes back by itself, no restart.
    while (get("/readyz").statusCode() != 200) {
      Thread.sleep(200);
    }
    // Nothing was issued during the outage: the store holds the one task begun before it.
    assertThat(issuer.store().listTasks(null, 10)).extracting(t -> t.taskId()).containsExactly(before.taskId());
    // The attestation refused during the outage was not spent, and begins a task now.
    BeginTaskResponse after = begin(client, tokenForOutage);
    client.renew(before.taskId(), before.controlToken());
    client.end(after.taskId(), after.controlToken(), "succeeded", null);
    assertThat(issuer.store().findTask(after.taskId()).orElseThrow().state()).isEqualTo(TaskState.ENDED);
  }

  private static BeginTaskResponse begin(IssuerClient client, String devToken) {
    return client.begin(new Attestation("dev", devToken), TaskKey.generate(), List.of("vault"), "10m");
  }

  private String beginBody(String devToken) throws Exception {
    TaskKey key = TaskKey.generate();
    Attestation attestation = new Attestation("dev", devToken);
    return ApiJson.mapper().writeValueAsString(
        new dev.taskbound.api.BeginTaskRequest(
            attestation, key.publicJwk(), key.proofOfPossession(issuer.url(), devToken, java.time.Instant.now()), List.of("vault"), "10m"));
  }

  private static void assertProblem(HttpResponse<String> r, String type) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
    assertThat(r.headers().firstValue("Retry-After")).contains("5");
    JsonNode problem = ApiJson.mapper().readTree(r.body());
    assertThat(problem.get("type").asText()).isEqualTo("https://taskbound.dev/problems/" + type);
  }

  private HttpResponse<String> get(String path) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(issuer.url() + path)).GET().build());
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(issuer.url() + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  private static HttpResponse<String> send(HttpRequest request) throws Exception {
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
