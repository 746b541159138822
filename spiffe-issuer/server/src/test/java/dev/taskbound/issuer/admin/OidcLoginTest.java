package dev.taskbound.issuer.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.TaskState;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's sign-in through the IdP at the protocol level, against the stand-in IdP over real HTTP: the
 * issuer, a confidential client here, sends state, nonce and an S256 challenge, redeems the code with its verifier
 * and secret, and opens a session for the operator the verified ID token names. A wrong state, a code from another
 * sign-in (wrong verifier), a wrong nonce, a forged, expired or foreign-audience ID token, a page that did not
 * start the sign-in: each is refused and opens nothing.
 */
class OidcLoginTest {
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private static final String SECRET = "s3cret-" + UUID.randomUUID();
  @TempDir static Path dir;
  static StandInIdp idp;
  static Issuer issuer;

  @BeforeAll
  static void start() throws Exception {
    idp = new StandInIdp();
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        idp.devIssuerConfig(
            dir.resolve("data"), "{sre: operator, eng: viewer}", "login:", "  client_secret_env: TB_ADMIN_CLIENT_SECRET"));
    issuer = Issuer.start(ConfigLoader.load(config), Clock.systemUTC(), name -> name.equals("TB_ADMIN_CLIENT_SECRET") ? SECRET : null);
    idp.registerClient(StandInIdp.AUDIENCE, issuer.url() + "/ui/", SECRET);
  }

  @AfterAll
  static void stop() {
    issuer.close();
    idp.close();
  }

  /** A sign-in as a page makes it: its client nonce, the authorization URL, and what the IdP redirected back with. */
  record SignIn(String clientNonce, URI authorizationUrl, Map<String, String> callback) {}

  static SignIn signIn() throws Exception {
    String clientNonce = UUID.randomUUID() + "-" + UUID.randomUUID();
    JsonNode started = json(post("/v1/admin/oidc/start", Map.of("client_nonce", clientNonce)), 200);
    URI authorization = URI.create(started.get("authorization_url").asText());
    HttpResponse<String> redirect = HTTP.send(HttpRequest.newBuilder(authorization).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(redirect.statusCode()).as(redirect.body()).isEqualTo(302);
    URI back = URI.create(redirect.headers().firstValue("Location").orElseThrow());
    assertThat(back.toString()).startsWith(issuer.url() + "/ui/?");
    return new SignIn(clientNonce, authorization, query(back.getRawQuery()));
  }

  static HttpResponse<String> callback(String code, String state, String clientNonce) throws Exception {
    return post("/v1/admin/oidc/callback", Map.of("code", code, "state", state, "client_nonce", clientNonce));
  }

  static HttpResponse<String> finish(SignIn s) throws Exception {
    return callback(s.callback().get("code"), s.callback().get("state"), s.clientNonce());
  }

  @Test
  void theIssuerSendsStateNonceAndAnS256ChallengeAndTheSessionIsTheIdTokensOperator() throws Exception {
    idp.signInAs("olga@example.com", List.of("eng", "sre"));
    SignIn s = signIn();
    Map<String, String> asked = query(s.authorizationUrl().getRawQuery());
    assertThat(s.authorizationUrl().toString()).startsWith(idp.issuer + "/authorize?");
    assertThat(asked).containsEntry("response_type", "code").containsEntry("client_id", StandInIdp.AUDIENCE)
        .containsEntry("redirect_uri", issuer.url() + "/ui/").containsEntry("code_challenge_method", "S256");
    assertThat(asked.get("scope").split(" ")).contains("openid");
    assertThat(asked.get("state")).hasSizeGreaterThanOrEqualTo(43);
    assertThat(asked.get("nonce")).hasSizeGreaterThanOrEqualTo(43);
    assertThat(Base64.getUrlDecoder().decode(asked.get("code_challenge"))).hasSize(32);
    assertThat(s.callback()).containsEntry("state", asked.get("state"));

    JsonNode session = json(finish(s), 200);
    String token = session.get("token").asText();
    assertThat(token).startsWith("tbadm_");
    JsonNode who = json(get("/v1/admin/whoami", token), 200);
    assertThat(who.get("subject").asText()).isEqualTo("olga@example.com");
    assertThat(who.get("issuer").asText()).isEqualTo(idp.issuer);
    assertThat(who.get("roles").toString()).isEqualTo("[\"operator\",\"viewer\"]");

    // The session acts as the operator, and the evidence names them.
    BeginTaskResponse task = AdminApiTestSupport.begin(issuer);
    JsonNode ended = json(post("/v1/admin/tasks/" + task.taskId() + "/end", Map.of("reason", "signed in through the IdP"), token), 200);
    assertThat(ended.get("outcome").asText()).isEqualTo("revoked");
    String statement = AdminApiTestSupport.statement(issuer, task.taskId());
    assertThat(statement).contains("olga@example.com").contains(idp.issuer).contains("signed in through the IdP");

    // A state is spent by its first callback.
    assertThat(json(finish(s), 401).get("detail").asText()).contains("state");
  }

  @Test
  void aWrongStateOrAnotherPagesCallbackIsRefused() throws Exception {
    SignIn s = signIn();
    assertThat(json(callback(s.callback().get("code"), "forged-state", s.clientNonce()), 401).get("detail").asText()).contains("state");
    // Another page (login CSRF: the victim's browser fed the attacker's code and state) does not know the nonce.
    SignIn t = signIn();
    assertThat(json(callback(t.callback().get("code"), t.callback().get("state"), "another-page-" + UUID.randomUUID()), 401)
        .get("detail").asText()).contains("another page");
    // ... and the sign-in it tried is spent.
    assertThat(finish(t).statusCode()).isEqualTo(401);
  }

  @Test
  void aCodeFromAnotherSignInFailsOnItsVerifier() throws Exception {
    SignIn attacker = signIn();
    SignIn victim = signIn();
    // The victim's state and page, the attacker's code: the IdP checks the victim's verifier against the attacker's challenge.
    HttpResponse<String> r = callback(attacker.callback().get("code"), victim.callback().get("state"), victim.clientNonce());
    assertThat(json(r, 401).get("detail").asText()).contains("invalid_grant");
  }

  @Test
  void aWrongNonceAForgedExpiredOrForeignIdTokenIsRefused() throws Exception {
    idp.nextIdToken(c -> c.claim("nonce", "some-other-sign-in"));
    assertThat(json(finish(signIn()), 401).get("detail").asText()).contains("nonce");
    idp.forgeNextIdToken();
    assertThat(json(finish(signIn()), 401).get("detail").asText()).contains("signature");
    idp.nextIdToken(c -> c.issueTime(new java.util.Date(System.currentTimeMillis() - 7_200_000))
        .expirationTime(new java.util.Date(System.currentTimeMillis() - 3_600_000)));
    assertThat(json(finish(signIn()), 401).get("detail").asText()).contains("expired");
    idp.nextIdToken(c -> c.audience("another-app"));
    assertThat(json(finish(signIn()), 401).get("detail").asText()).contains("audience");
    idp.nextIdToken(c -> c.issuer("https://evil.example"));
    assertThat(json(finish(signIn()), 401).get("detail").asText()).contains("issuer");
  }

  @Test
  void anOperatorWhoseGroupsMapToNoRoleIsForbiddenAndGetsNoSession() throws Exception {
    idp.signInAs("mark@example.com", List.of("marketing"));
    try {
      HttpResponse<String> r = finish(signIn());
      assertThat(json(r, 403).get("type").asText()).endsWith("/forbidden");
      assertThat(r.body()).doesNotContain("tbadm_");
    } finally {
      idp.signInAs("olga@example.com", List.of("sre"));
    }
  }

  @Test
  void badStartsAndUnknownSessionsAreRefused() throws Exception {
    assertThat(json(post("/v1/admin/oidc/start", Map.of()), 400).get("type").asText()).endsWith("/malformed-request");
    assertThat(json(post("/v1/admin/oidc/callback", Map.of("code", "x")), 400).get("type").asText()).endsWith("/malformed-request");
    assertThat(json(get("/v1/admin/whoami", "tbadm_" + "B".repeat(43)), 401).get("detail").asText()).contains("log in again");
    assertThat(json(get("/v1/admin/login", null), 200).get("methods").toString()).isEqualTo("[\"dev-link\",\"oidc\"]");
    assertThat(issuer.store().listTasks(TaskState.ACTIVE, 10)).isNotNull();
  }

  // ---- helpers ----------------------------------------------------------------------------------------------

  static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  static HttpResponse<String> post(String path, Map<String, String> body) throws Exception {
    return post(path, body, null);
  }

  static HttpResponse<String> post(String path, Map<String, String> body, String token) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(issuer.url() + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(ApiJson.mapper().writeValueAsString(body)));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(issuer.url() + path));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return ApiJson.mapper().readTree(r.body());
  }
}
