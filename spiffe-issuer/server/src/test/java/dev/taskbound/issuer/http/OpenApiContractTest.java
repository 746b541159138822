package dev.taskbound.issuer.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.ProblemType;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.admin.StandInIdp;
import dev.taskbound.issuer.config.ConfigLoader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document served at {@code /openapi.json} against the running issuer: every response of a real
 * walk through the API (public, adapter, admin; successes and problems) must be documented for its path, method,
 * status and content type, and its JSON body must validate (JSON Schema 2020-12, networknt) against the schema
 * documented there. The document cannot drift from the code without this test failing.
 */
class OpenApiContractTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  // The OpenAPI 3.1 dialect: the document's own keywords (openapi, paths …) are known, not warned about.
  private static final JsonSchemaFactory SCHEMAS =
      JsonSchemaFactory.getInstance(
          SpecVersion.VersionFlag.V202012,
          b -> b.metaSchema(OpenApi31.getInstance()).defaultMetaSchemaIri(OpenApi31.getInstance().getIri()));
  @TempDir static Path dir;
  static Issuer issuer;
  static JsonNode openapi;
  static final List<String> checked = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dir), true, "127.0.0.1:0", null), Clock.systemUTC());
    HttpResponse<String> doc = HTTP.send(HttpRequest.newBuilder(URI.create(issuer.url() + "/openapi.json")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(doc.statusCode()).isEqualTo(200);
    openapi = ApiJson.mapper().readTree(doc.body());
    assertThat(openapi.get("openapi").asText()).isEqualTo("3.1.0");
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  /** Sends {@code request}, then checks its answer against the document under {@code template}. */
  static HttpResponse<String> call(String template, HttpRequest request) throws Exception {
    HttpResponse<String> r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    conforms(template, request.method(), r);
    return r;
  }

  static void conforms(String template, String method, HttpResponse<String> r) throws Exception {
    String where = method + " " + template + " → " + r.statusCode();
    JsonNode operation = openapi.path("paths").path(template).path(method.toLowerCase());
    assertThat(operation.isObject()).as("documented: " + method + " " + template).isTrue();
    JsonNode response = operation.path("responses").path(Integer.toString(r.statusCode()));
    assertThat(response.isObject()).as("status documented: " + where + " " + r.body()).isTrue();
    if (response.has("$ref")) {
      response = openapi.at(response.get("$ref").asText().substring(1));
    }
    String contentType = r.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
    JsonNode media = response.path("content").path(contentType);
    assertThat(media.isObject()).as("content type " + contentType + " documented: " + where).isTrue();
    if (contentType.endsWith("json")) {
      String pointer = "#/paths/" + template.replace("~", "~0").replace("/", "~1") + "/" + method.toLowerCase() + "/responses/"
          + r.statusCode() + "/content/" + contentType.replace("/", "~1") + "/schema";
      if (operation.path("responses").path(Integer.toString(r.statusCode())).has("$ref")) {
        pointer = operation.path("responses").path(Integer.toString(r.statusCode())).get("$ref").asText()
            + "/content/" + contentType.replace("/", "~1") + "/schema";
      }
      assertThat(validate(pointer, ApiJson.mapper().readTree(r.body()))).as(where + ": " + r.body()).isEmpty();
    }
    checked.add(where);
  }

  /** Validates {@code body} against the schema at {@code pointer} inside the document (so its $refs resolve). */
  static Set<String> validate(String pointer, JsonNode body) {
    ObjectNode root = openapi.deepCopy();
    root.put("$ref", pointer);
    Set<String> errors = new TreeSet<>();
    for (ValidationMessage m : SCHEMAS.getSchema(root).validate(body)) {
      errors.add(m.getMessage());
    }
    return errors;
  }

  static HttpRequest get(String path, String bearer) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(issuer.url() + path));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return b.build();
  }

  static HttpRequest post(String path, String bearer, String contentType, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(issuer.url() + path)).header("Content-Type", contentType).POST(HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      b.header("Authorization", "Bearer " + bearer);
    }
    return b.build();
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void aWalkThroughTheWholeApiConformsToTheDocument() throws Exception {
    for (String path : List.of("/.well-known/openid-configuration", "/jwks", "/bundle", "/crl", "/.well-known/ssf-configuration",
        "/ssf/jwks", "/healthz", "/readyz", "/evidence/key", "/evidence/checkpoint", "/metrics", "/openapi.json", "/ui/")) {
      assertThat(call(path, get(path, null)).statusCode()).as(path).isEqualTo(200);
    }

    // The task API, as an adapter drives it.
    String token = issuer.mintDevToken(Duration.ofMinutes(5));
    TaskKey key = TaskKey.generate();
    BeginTaskRequest begin =
        new BeginTaskRequest(new Attestation("dev", token), key.publicJwk(), key.proofOfPossession(issuer.url(), token, Instant.now()),
            List.of(issuer.url(), "sts.example"), null);
    JsonNode begun = ApiJson.mapper().readTree(call("/v1/tasks", post("/v1/tasks", null, "application/json", ApiJson.mapper().writeValueAsString(begin))).body());
    String taskId = begun.get("task_id").asText();
    String control = begun.get("control_token").asText();
    String svid = begun.get("jwt_svids").get(0).get("token").asText();
    assertThat(call("/v1/tasks/{task_id}", get("/v1/tasks/" + taskId, control)).statusCode()).isEqualTo(200);
    assertThat(call("/v1/tasks/{task_id}/renew", post("/v1/tasks/" + taskId + "/renew", control, "application/json", "")).statusCode()).isEqualTo(200);

    // Relying parties: exchange, introspect, revoke.
    String form = "grant_type=" + enc("urn:ietf:params:oauth:grant-type:token-exchange") + "&subject_token=" + enc(svid)
        + "&subject_token_type=" + enc("urn:ietf:params:oauth:token-type:jwt") + "&audience=sts.example";
    String downstream =
        ApiJson.mapper().readTree(call("/token", post("/token", null, "application/x-www-form-urlencoded", form)).body()).get("access_token").asText();
    assertThat(call("/token", post("/token", null, "application/x-www-form-urlencoded", "grant_type=password")).statusCode()).isEqualTo(400);
    assertThat(call("/introspect", post("/introspect", svid, "application/x-www-form-urlencoded", "token=" + enc(downstream))).statusCode()).isEqualTo(200);
    assertThat(call("/introspect", post("/introspect", null, "application/x-www-form-urlencoded", "token=x")).statusCode()).isEqualTo(401);
    assertThat(call("/revoke", post("/revoke", control, "application/x-www-form-urlencoded", "token=" + enc(downstream))).statusCode()).isEqualTo(200);

    // Admin API with dev mode's login.
    String link = issuer.devLoginLink();
    String code = link.substring(link.indexOf("#login=") + 7);
    String session =
        ApiJson.mapper().readTree(call("/v1/admin/login", post("/v1/admin/login", null, "application/json", "{\"code\":\"" + code + "\"}")).body())
            .get("token").asText();
    assertThat(call("/v1/admin/login", post("/v1/admin/login", null, "application/json", "{\"code\":\"" + code + "\"}")).statusCode()).isEqualTo(401);
    assertThat(call("/v1/admin/login", get("/v1/admin/login", null)).statusCode()).isEqualTo(200);
    assertThat(call("/v1/admin/oidc/start", post("/v1/admin/oidc/start", null, "application/json", "{\"client_nonce\":\"" + "n".repeat(43) + "\"}")).statusCode())
        .isEqualTo(404);
    assertThat(call("/v1/admin/exposure", get("/v1/admin/exposure", null)).statusCode()).isEqualTo(401);
    assertThat(call("/v1/admin/exposure", get("/v1/admin/exposure?limit=0", session)).statusCode()).isEqualTo(400);
    for (String path : List.of("/v1/admin/whoami", "/v1/admin/tasks", "/v1/admin/controllers", "/v1/admin/policy", "/v1/admin/credentials/after-task-end",
        "/v1/admin/exposure")) {
      assertThat(call(path, get(path, session)).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(call("/v1/admin/tasks/{task_id}", get("/v1/admin/tasks/" + taskId, session)).statusCode()).isEqualTo(200);
    assertThat(call("/v1/admin/tasks", get("/v1/admin/tasks", null)).statusCode()).isEqualTo(401);
    assertThat(call("/v1/admin/tasks", get("/v1/admin/tasks?state=x", session)).statusCode()).isEqualTo(400);

    // The end, the evidence, and the problems of a task that has ended.
    assertThat(call("/v1/tasks/{task_id}/end", post("/v1/tasks/" + taskId + "/end", control, "application/json", "{\"outcome\":\"succeeded\"}")).statusCode())
        .isEqualTo(200);
    assertThat(call("/v1/tasks/{task_id}/renew", post("/v1/tasks/" + taskId + "/renew", control, "application/json", "")).statusCode()).isEqualTo(409);
    assertThat(call("/v1/admin/tasks/{task_id}/end", post("/v1/admin/tasks/" + taskId + "/end", session, "application/json", "{\"reason\":\"again\"}")).statusCode())
        .isEqualTo(200);
    assertThat(call("/evidence/tasks/{task_id}", get("/evidence/tasks/" + taskId, null)).statusCode()).isEqualTo(200);
    assertThat(call("/v1/admin/exposure", get("/v1/admin/exposure", session)).statusCode()).isEqualTo(200);
    long size = Long.parseLong(issuer.evidence().checkpoint().split("\n")[1]);
    assertThat(call("/evidence/proof/consistency", get("/evidence/proof/consistency?from=1&to=" + size, null)).statusCode()).isEqualTo(200);
    assertThat(call("/evidence/proof/consistency", get("/evidence/proof/consistency?from=x", null)).statusCode()).isEqualTo(400);
    assertThat(call("/evidence/tasks/{task_id}", get("/evidence/tasks/tsk_" + "a".repeat(26), null)).statusCode()).isEqualTo(404);

    // Problems of the task API.
    assertThat(call("/v1/tasks", post("/v1/tasks", null, "application/json", "{not json")).statusCode()).isEqualTo(400);
    assertThat(call("/v1/tasks", post("/v1/tasks", null, "text/plain", "x")).statusCode()).isEqualTo(415);
    assertThat(call("/v1/tasks/{task_id}", get("/v1/tasks/" + taskId, null)).statusCode()).isEqualTo(401);
    assertThat(call("/v1/tasks/{task_id}", get("/v1/tasks/tsk_" + "b".repeat(26), "tbct_x")).statusCode()).isEqualTo(404);
    assertThat(call("/v1/tasks/{task_id}/end", post("/v1/tasks/" + taskId + "/end", control, "application/json", "{\"outcome\":\"won\"}")).statusCode())
        .isEqualTo(400);

    assertThat(checked).hasSizeGreaterThan(40);
  }

  @Test
  void everyProblemTypeIsInTheDocumentAndNothingElse() {
    Set<String> documented = new TreeSet<>();
    openapi.at("/components/schemas/Problem/properties/type/enum").forEach(t -> documented.add(t.asText()));
    Set<String> inCode = new TreeSet<>();
    Arrays.stream(ProblemType.values()).forEach(t -> inCode.add(t.uri()));
    assertThat(documented).isEqualTo(inCode);
  }

  @Test
  void problemsOnUndocumentedPathsAreStillProblems() throws Exception {
    HttpResponse<String> r = HTTP.send(get("/no/such/path", null), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(validate("#/components/schemas/Problem", ApiJson.mapper().readTree(r.body()))).isEmpty();
    HttpResponse<String> wrongMethod = HTTP.send(get("/v1/tasks", null), HttpResponse.BodyHandlers.ofString());
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(validate("#/components/schemas/Problem", ApiJson.mapper().readTree(wrongMethod.body()))).isEmpty();
  }

  @Test
  void theSignInThroughTheIdpConformsToo() throws Exception {
    try (StandInIdp idp = new StandInIdp()) {
      Path config = dir.resolve("idp-issuer.yaml");
      Files.writeString(
          config,
          String.join("\n", "dev: true", "listen: 127.0.0.1:0", "data_dir: " + dir.resolve("idp-data"), "admin:", "  oidc:",
              "    issuer: " + idp.issuer, "    audience: " + StandInIdp.AUDIENCE, "    roles: {sre: operator}", "    login: {}", ""));
      Issuer withIdp = Issuer.start(ConfigLoader.load(config), Clock.systemUTC());
      try {
        idp.registerClient(StandInIdp.AUDIENCE, withIdp.url() + "/ui/", null);
        assertThat(call("/v1/admin/oidc/start", post(withIdp.url(), "/v1/admin/oidc/start", "{}")).statusCode()).isEqualTo(400);
        String finish = signedIn(withIdp.url());
        assertThat(call("/v1/admin/oidc/callback", post(withIdp.url(), "/v1/admin/oidc/callback", finish)).statusCode()).isEqualTo(200);
        assertThat(call("/v1/admin/oidc/callback", post(withIdp.url(), "/v1/admin/oidc/callback", finish)).statusCode()).isEqualTo(401);
        idp.signInAs("nobody@example.com", List.of("marketing"));
        finish = signedIn(withIdp.url());
        assertThat(call("/v1/admin/oidc/callback", post(withIdp.url(), "/v1/admin/oidc/callback", finish)).statusCode()).isEqualTo(403);
      } finally {
        withIdp.close();
      }
    }
  }

  /** Starts a sign-in, follows the IdP's redirect, and returns the callback body the page would send. */
  private static String signedIn(String base) throws Exception {
    String nonce = "n".repeat(43);
    HttpResponse<String> started = call("/v1/admin/oidc/start", post(base, "/v1/admin/oidc/start", "{\"client_nonce\":\"" + nonce + "\"}"));
    assertThat(started.statusCode()).isEqualTo(200);
    HttpResponse<String> redirect =
        HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build().send(
            HttpRequest.newBuilder(URI.create(ApiJson.mapper().readTree(started.body()).get("authorization_url").asText())).build(),
            HttpResponse.BodyHandlers.ofString());
    String query = URI.create(redirect.headers().firstValue("Location").orElseThrow()).getRawQuery();
    String code = query.replaceAll(".*code=([^&]*).*", "$1");
    String state = query.replaceAll(".*state=([^&]*).*", "$1");
    return "{\"code\":\"" + code + "\",\"state\":\"" + state + "\",\"client_nonce\":\"" + nonce + "\"}";
  }

  private static HttpRequest post(String base, String path, String json) {
    return HttpRequest.newBuilder(URI.create(base + path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
  }

  @Test
  void theSchemasAreStrictEnoughToCatchDrift() throws Exception {
    // A field the code might rename or drop: the document must notice.
    JsonNode wrong = ApiJson.mapper().readTree("{\"task_id\":\"tsk_" + "a".repeat(26) + "\",\"outcome\":\"revoked\",\"ended_at\":\"2025-01-01T00:00:00Z\",\"revoked\":[],\"evidenceUrl\":\"x\"}");
    assertThat(validate("#/components/schemas/EndTaskResponse", wrong)).isNotEmpty();
    for (Iterator<String> it = openapi.path("paths").fieldNames(); it.hasNext(); ) {
      assertThat(it.next()).startsWith("/");
    }
  }
}
