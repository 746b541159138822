package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskState;
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
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin API over real HTTP on loopback, authenticated by a stand-in IdP (real discovery and JWKS over HTTP,
 * real RS256 signatures): roles enforced, every bad token refused, an operator's end in the evidence log.
 */
class AdminApiTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  @TempDir static Path dir;
  static StandInIdp idp;
  static Issuer issuer;
  static IssuerClient client;

  @BeforeAll
  static void start() throws Exception {
    idp = new StandInIdp();
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        idp.devIssuerConfig(dir.resolve("data"), "{sre: operator, eng: viewer, sec: approver}", "roles_claim: groups"));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    issuer.close();
    idp.close();
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(issuer.url() + path));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String token, String json) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(issuer.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return ApiJson.mapper().readTree(r.body());
  }

  static BeginTaskResponse begin() throws Exception {
    return client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
  }

  @Test
  void aViewerListsAndInspectsTasksButCannotEndOne() throws Exception {
    BeginTaskResponse task = begin();
    String viewer = idp.token("vera@example.com", List.of("eng"));

    JsonNode listed = json(get("/v1/admin/tasks?state=active&platform=dev", viewer), 200);
    assertThat(listed.get("tasks").findValuesAsText("task_id")).contains(task.taskId());
    JsonNode shown = json(get("/v1/admin/tasks/" + task.taskId(), viewer), 200);
    assertThat(shown.get("spiffe_id").asText()).isEqualTo(task.spiffeId());
    assertThat(shown.get("credentials").findValuesAsText("kind")).contains("x509-svid", "jwt-svid");
    assertThat(shown.get("evidence_url").asText()).isEqualTo(issuer.url() + "/evidence/tasks/" + task.taskId());
    assertThat(shown.toString()).doesNotContain(task.controlToken()).doesNotContain(task.jwtSvids().get(0).token());

    HttpResponse<String> refused = post("/v1/admin/tasks/" + task.taskId() + "/end", viewer, "{\"reason\":\"try\"}");
    assertThat(json(refused, 403).get("type").asText()).isEqualTo("https://taskbound.dev/problems/forbidden");
    assertThat(issuer.store().findTask(task.taskId()).orElseThrow().state()).isEqualTo(TaskState.ACTIVE);
    assertThat(json(get("/v1/admin/whoami", viewer), 200).get("roles").toString()).isEqualTo("[\"viewer\"]");
  }

  @Test
  void anOperatorEndsATaskAndTheEvidenceNamesThemAndTheReason() throws Exception {
    BeginTaskResponse task = begin();
    String operator = idp.token("olga@example.com", List.of("eng", "sre"));

    JsonNode ended = json(post("/v1/admin/tasks/" + task.taskId() + "/end", operator, "{\"reason\":\"INC-42 leaked log\"}"), 200);
    assertThat(ended.get("outcome").asText()).isEqualTo("revoked");
    assertThat(ended.get("revoked")).isNotEmpty();
    assertThat(issuer.store().credentialsOf(task.taskId())).allMatch(c -> c.revokedAt() != null);

    byte[] bundle = client.evidenceBundle(task.taskId());
    VerificationResult verified = EvidenceVerifier.verify(bundle, NoteKey.parse(client.evidenceKey().trim()));
    assertThat(verified.failures()).isEmpty();
    String statement =
        new String(Base64.getDecoder().decode(ApiJson.mapper().readTree(bundle).at("/envelope/payload").asText()), StandardCharsets.UTF_8);
    assertThat(statement).contains("operator.action").contains("olga@example.com").contains(idp.issuer).contains("INC-42 leaked log");

    // Revoked at the end, still valid offline until they expire: listed with their residual exposure.
    JsonNode after = json(get("/v1/admin/credentials/after-task-end", operator), 200);
    assertThat(after.get("credentials").findValuesAsText("task_id")).contains(task.taskId());
    assertThat(after.get("credentials").findValues("residual_exposure_seconds")).allMatch(v -> v.asLong() >= 0);
    assertThat(json(get("/v1/admin/credentials/after-task-end?revoked=false", operator), 200).get("credentials")).isEmpty();
    assertThat(json(get("/v1/admin/tasks?state=ended", operator), 200).get("tasks").findValuesAsText("task_id")).contains(task.taskId());
  }

  @Test
  void forgedExpiredForeignAndMissingTokensAre401AndARolelessOneIs403() throws Exception {
    Instant now = Instant.now();
    List<String> refused =
        List.of(
            idp.forge(idp.claims("mallory@example.com", List.of("sre"), StandInIdp.AUDIENCE, idp.issuer, now, Duration.ofMinutes(5))),
            idp.sign(idp.claims("olga@example.com", List.of("sre"), StandInIdp.AUDIENCE, idp.issuer, now.minusSeconds(3600), Duration.ofMinutes(5))),
            idp.sign(idp.claims("olga@example.com", List.of("sre"), "some-other-app", idp.issuer, now, Duration.ofMinutes(5))),
            idp.sign(idp.claims("olga@example.com", List.of("sre"), StandInIdp.AUDIENCE, "https://evil.example", now, Duration.ofMinutes(5))),
            "not-a-jwt",
            "tbadm_" + "A".repeat(43));
    for (String token : refused) {
      HttpResponse<String> r = get("/v1/admin/tasks", token);
      assertThat(json(r, 401).get("type").asText()).isEqualTo("https://taskbound.dev/problems/not-authenticated");
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
      assertThat(r.body()).doesNotContain(token);
    }
    assertThat(get("/v1/admin/tasks", null).statusCode()).isEqualTo(401);
    HttpResponse<String> roleless = get("/v1/admin/tasks", idp.token("nobody@example.com", List.of("marketing")));
    assertThat(json(roleless, 403).get("type").asText()).isEqualTo("https://taskbound.dev/problems/forbidden");
  }

  @Test
  void controllersPolicyAndFiltersAnswer() throws Exception {
    String viewer = idp.token("vera@example.com", List.of("eng"));
    assertThat(json(get("/v1/admin/controllers", viewer), 200).get("controllers").isArray()).isTrue();
    JsonNode policy = json(get("/v1/admin/policy", viewer), 200);
    assertThat(policy.get("source").asText()).isEqualTo("dev");
    assertThat(policy.get("rules").toString()).contains("dev-default");
    assertThat(json(get("/v1/admin/tasks?since=2999-01-01T00:00:00Z", viewer), 200).get("tasks")).isEmpty();
    assertThat(json(get("/v1/admin/tasks?state=sleeping", viewer), 400).get("type").asText()).endsWith("/malformed-request");
    assertThat(json(get("/v1/admin/nothing-here", viewer), 404).get("type").asText()).endsWith("/not-found");
  }

  @Test
  void theDevLoginLinkIsSingleUseAndItsSessionIsAnOperator() throws Exception {
    String link = issuer.devLoginLink();
    assertThat(link).startsWith(issuer.url() + "/ui/#login=");
    String code = link.substring(link.indexOf("#login=") + 7);
    String session = json(post("/v1/admin/login", null, "{\"code\":\"" + code + "\"}"), 200).get("token").asText();
    assertThat(post("/v1/admin/login", null, "{\"code\":\"" + code + "\"}").statusCode()).isEqualTo(401);

    BeginTaskResponse task = begin();
    JsonNode ended = json(post("/v1/admin/tasks/" + task.taskId() + "/end", session, "{\"reason\":\"dev\"}"), 200);
    assertThat(ended.get("outcome").asText()).isEqualTo("revoked");
    assertThat(json(get("/v1/admin/whoami", session), 200).get("issuer").asText()).isEqualTo("dev");
  }
}
