package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.testing.ShiftedClock;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.Issuer;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.CredentialRecord;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
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
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [3/7] over real HTTP on loopback: a dev-attested task under a CEL policy file (downstream audiences, at most three
 * exchanges) exchanges its JWT-SVID for downstream tokens that an independent JOSE library verifies from our
 * discovery document alone; introspection and revocation; the task's end takes everything back; each bad request
 * is refused with its RFC 6749 error.
 */
class TokenExchangeApiTest {
  static final String RP_ID = "relying-party-1";
  static final String RP_SECRET = "rp-secret-" + UUID.randomUUID();
  static final String AWS_RP_ID = "relying-party-aws";
  static final String AWS_RP_SECRET = "rp-secret-" + UUID.randomUUID();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";
  static final String JWT = "urn:ietf:params:oauth:token-type:jwt";

  @TempDir static Path dir;
  static Issuer issuer;
  static String url;
  static IssuerClient client;
  static final ShiftedClock CLOCK = new ShiftedClock();

  @BeforeAll
  static void start() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    url = "http://127.0.0.1:" + port;
    Path policy = dir.resolve("policy.yaml");
    Files.writeString(
        policy,
        String.join(
            "\n",
            "rules:",
            "  - name: dev-exchange",
            "    when: ci.platform == 'dev'",
            "    spiffe_id: \"spiffe://{trust_domain}/dev/{ci.token_id}\"",
            "    max_ttl: 30m",
            "    audiences: [\"" + url + "\", sts.amazonaws.com, azure.example, vault.example]",
            "    max_exchanges: 3",
            ""));
    Path config = dir.resolve("issuer.yaml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "dev: true",
            "listen: 127.0.0.1:" + port,
            "data_dir: " + dir.resolve("data"),
            "policy: {file: " + policy + "}",
            "exchange:",
            "  default_algorithm: ES256",
            "  ttl: 5m",
            "  audiences: {azure.example: {algorithm: RS256}}",
            "introspection:",
            "  clients:",
            "    - {id: " + RP_ID + ", secret_env: TEST_RP_SECRET, audiences: [vault.example]}",
            "    - {id: " + AWS_RP_ID + ", secret_env: TEST_AWS_RP_SECRET, audiences: [sts.amazonaws.com]}",
            ""));
    issuer =
        Issuer.start(
            ConfigLoader.load(config), CLOCK,
            name -> switch (name) {
              case "TEST_RP_SECRET" -> RP_SECRET;
              case "TEST_AWS_RP_SECRET" -> AWS_RP_SECRET;
              default -> System.getenv(name);
            });
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    if (issuer != null) {
      issuer.close();
    }
  }

  // ---- exchange, verified by someone else ------------------------------------------------------------------

  @Test
  void joseVerifiesDownstreamTokensWithOnlyOurDiscoveryDocumentAndJwks() throws Exception {
    Task task = begin(url, "sts.amazonaws.com");
    JsonNode aws = exchange(task.svidFor(url), "audience", "sts.amazonaws.com");
    JsonNode azure = exchange(task.svidFor(url), "resource", "azure.example");
    assertThat(aws.get("issued_token_type").asText()).isEqualTo(JWT);
    assertThat(aws.get("token_type").asText()).isEqualTo("N_A");
    assertThat(aws.get("expires_in").asLong()).isBetween(290L, 300L);

    JsonNode verified =
        NodeJose.verify(
            url,
            List.of(
                Map.of("token", aws.get("access_token").asText(), "audience", "sts.amazonaws.com"),
                Map.of("token", azure.get("access_token").asText(), "audience", "azure.example"),
                // A token for one audience does not verify for another.
                Map.of("token", aws.get("access_token").asText(), "audience", "azure.example")));
    assertThat(verified.get(0).get("alg").asText()).isEqualTo("ES256");
    assertThat(verified.get(1).get("alg").asText()).isEqualTo("RS256");
    assertThat(verified.get(2).get("error").asText()).isEqualTo("ERR_JWT_CLAIM_VALIDATION_FAILED");

    // A JWT-SVID minted for AWS at begin verifies the same way (what the CI adapters hand to AWS, GCP and Vault).
    JsonNode svid = NodeJose.verify(url, List.of(Map.of("token", task.svidFor("sts.amazonaws.com"), "audience", "sts.amazonaws.com")));
    assertThat(svid.get(0).has("error")).as(svid.toString()).isFalse();
    assertThat(svid.get(0).get("payload").get("sub").asText()).isEqualTo(task.begun.spiffeId());
    JsonNode claims = verified.get(0).get("payload");
    assertThat(claims.get("iss").asText()).isEqualTo(url);
    assertThat(claims.get("sub").asText()).isEqualTo(task.begun.spiffeId());
    assertThat(claims.get("aud").asText()).isEqualTo("sts.amazonaws.com");
    assertThat(claims.get("jti").asText()).isNotBlank();
    assertThat(claims.get("exp").asLong() - claims.get("iat").asLong()).isEqualTo(300);
    assertThat(claims.get(JwtSvidMinter.TASK_CLAIM).get("task_id").asText()).isEqualTo(task.begun.taskId());
    assertThat(claims.has("cnf")).isFalse();

    // Both tokens are recorded as the task's credentials, so the end revokes them.
    assertThat(issuer.store().credentialsOf(task.begun.taskId()))
        .filteredOn(c -> c.kind() == CredentialKind.DOWNSTREAM_TOKEN)
        .extracting(CredentialRecord::audience)
        .containsExactly("sts.amazonaws.com", "azure.example");
  }

  @Test
  void discoveryAndJwksDescribeTheDownstreamAndJwtSvidKeys() throws Exception {
    JsonNode discovery = ApiJson.mapper().readTree(get("/.well-known/openid-configuration").body());
    assertThat(discovery.get("issuer").asText()).isEqualTo(url);
    assertThat(discovery.get("jwks_uri").asText()).isEqualTo(url + "/jwks");
    assertThat(discovery.get("token_endpoint").asText()).isEqualTo(url + "/token");
    assertThat(discovery.get("introspection_endpoint").asText()).isEqualTo(url + "/introspect");
    assertThat(discovery.get("revocation_endpoint").asText()).isEqualTo(url + "/revoke");
    assertThat(texts(discovery.get("response_types_supported"))).containsExactly("id_token");
    assertThat(texts(discovery.get("subject_types_supported"))).containsExactly("public");
    assertThat(texts(discovery.get("id_token_signing_alg_values_supported"))).containsExactly("RS256", "ES256");
    assertThat(texts(discovery.get("grant_types_supported"))).containsExactly(GRANT);

    JsonNode jwks = ApiJson.mapper().readTree(get("/jwks").body());
    List<JsonNode> keys = new ArrayList<>();
    jwks.get("keys").forEach(keys::add);
    assertThat(keys).allSatisfy(k -> {
      assertThat(k.get("use").asText()).isEqualTo("sig");
      assertThat(k.get("kid").asText()).isNotBlank();
      assertThat(k.has("d")).isFalse();
    });
    assertThat(keys).extracting(k -> k.get("alg").asText()).contains("RS256", "ES256");
    // Small: per algorithm an active and at most a prepared downstream key, plus the bundle's JWT-SVID keys.
    JsonNode bundle = ApiJson.mapper().readTree(get("/bundle").body());
    List<String> svidKids = new ArrayList<>();
    bundle.get("keys").forEach(b -> {
      if ("jwt-svid".equals(b.path("use").asText())) {
        svidKids.add(b.get("kid").asText());
      }
    });
    assertThat(svidKids).isNotEmpty();
    assertThat(keys).extracting(k -> k.get("kid").asText()).containsAll(svidKids);
    assertThat(keys).hasSizeBetween(2 + svidKids.size(), 4 + svidKids.size());
    // No x509-svid (certificate) keys: relying parties of /jwks verify JWTs only.
    assertThat(keys).noneMatch(k -> k.has("x5c"));
  }

  // ---- introspection, revocation, end ----------------------------------------------------------------------

  @Test
  void afterEndIntrospectionSaysInactiveExchangeIsRefusedAndEverythingIsRevoked() throws Exception {
    Task task = begin(url, "vault.example");
    String svid = task.svidFor(url);
    String downstream = exchange(svid, "audience", "vault.example").get("access_token").asText();

    JsonNode active = introspect(basic(), downstream);
    assertThat(active.get("active").asBoolean()).isTrue();
    assertThat(active.get("sub").asText()).isEqualTo(task.begun.spiffeId());
    assertThat(active.get("aud").asText()).isEqualTo("vault.example");
    assertThat(active.get("iss").asText()).isEqualTo(url);
    assertThat(active.get("token_type").asText()).isEqualTo("N_A");
    assertThat(active.get("exp").asLong()).isGreaterThan(active.get("iat").asLong());
    assertThat(active.get("jti").asText()).isNotBlank();
    assertThat(introspect(basic(), task.svidFor("vault.example")).get("active").asBoolean()).isTrue();

    client.end(task.begun.taskId(), task.begun.controlToken(), "succeeded", null);

    assertThat(introspect(basic(), downstream)).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    assertThat(introspect(basic(), svid).get("active").asBoolean()).isFalse();
    assertError(post("/token", null, exchangeForm(svid, "audience", "vault.example")), 400, "invalid_grant");
    String downstreamJti = active.get("jti").asText();
    assertThat(issuer.store().credentialsOf(task.begun.taskId()))
        .allSatisfy(c -> assertThat(c.revokedAt()).isNotNull())
        .extracting(CredentialRecord::credentialId)
        .contains(downstreamJti, jti(svid));
  }

  @Test
  void revokedDownstreamTokenIsInactiveWhileTheTaskLives() throws Exception {
    Task task = begin(url, "vault.example");
    String downstream = exchange(task.svidFor(url), "audience", "vault.example").get("access_token").asText();

    // The task revokes its own token with its control token; a second revocation and garbage answer 200 too.
    for (String token : List.of(downstream, downstream, "not-a-token")) {
      HttpResponse<String> r = post("/revoke", "Bearer " + task.begun.controlToken(), form("token", token));
      assertThat(r.statusCode()).isEqualTo(200);
    }
    assertThat(introspect(basic(), downstream).get("active").asBoolean()).isFalse();
    assertThat(introspect("Bearer " + task.svidFor(url), task.svidFor(url)).get("active").asBoolean()).isTrue();
    assertThat(issuer.store().findCredential(CredentialKind.DOWNSTREAM_TOKEN, jti(downstream)).orElseThrow().revokedAt())
        .isNotNull();
  }

  @Test
  void anInventedControlTokenDoesNotAuthenticateRevocation() throws Exception {
    Task task = begin(url, "vault.example");
    String downstream = exchange(task.svidFor(url), "audience", "vault.example").get("access_token").asText();
    String otherTasksControlToken = begin(url).begun.controlToken();

    String ours = task.begun.controlToken();
    String idPart = ours.substring(0, 5 + 26);
    List<String> forgeries =
        List.of(
            "tbct_", "tbct_" + "A".repeat(43), ours.substring(0, 20),
            idPart + "_" + "A".repeat(43), // this task's id, a guessed secret
            idPart + otherTasksControlToken.substring(5 + 26), // this task's id, another task's secret
            "tbct_" + "a".repeat(26) + ours.substring(5 + 26), // a task that does not exist, our secret
            "garbage",
            // Jetty's header cache matched values regardless of case: on a kept-alive connection this was taken for
            // the genuine token sent before it (and, sent first, spoilt the genuine one after it).
            ours.toUpperCase(java.util.Locale.ROOT), ours.toLowerCase(java.util.Locale.ROOT));
    // The genuine token first, on the connection the forgeries then use.
    assertError(post("/revoke", "Bearer " + ours, form()), 400, "invalid_request");
    for (String invented : forgeries) {
      HttpResponse<String> r = post("/revoke", "Bearer " + invented, form("token", downstream));
      assertError(r, 401, "invalid_client");
      assertThat(r.headers().firstValue("WWW-Authenticate")).isPresent();
      assertError(post("/revoke", "Bearer " + invented, form("token", "not-a-token")), 401, "invalid_client");
    }
    // Another task's genuine control token authenticates, but revokes nothing of this task (RFC 7009: still 200).
    assertThat(post("/revoke", "Bearer " + otherTasksControlToken, form("token", downstream)).statusCode()).isEqualTo(200);
    // A control token is no credential for introspection or exchange.
    assertError(post("/introspect", "Bearer " + task.begun.controlToken(), form("token", downstream)), 401, "invalid_client");
    assertError(post("/token", null, exchangeForm(task.begun.controlToken(), "audience", "vault.example")), 400, "invalid_grant");
    // Authenticated, but no token: invalid_request.
    assertError(post("/revoke", "Bearer " + task.begun.controlToken(), form()), 400, "invalid_request");

    assertThat(introspect(basic(), downstream).get("active").asBoolean()).isTrue();
    assertThat(issuer.store().findCredential(CredentialKind.DOWNSTREAM_TOKEN, jti(downstream)).orElseThrow().revokedAt()).isNull();
  }

  @Test
  void aRelyingPartySeesAndRevokesOnlyTokensForItsOwnAudiences() throws Exception {
    Task task = begin(url, "vault.example", "sts.amazonaws.com");
    String forAws = exchange(task.svidFor(url), "audience", "sts.amazonaws.com").get("access_token").asText();
    String forVault = exchange(task.svidFor(url), "audience", "vault.example").get("access_token").asText();
    String aws = basic(AWS_RP_ID, AWS_RP_SECRET);

    // The vault relying party learns nothing of a live token for AWS (RFC 7662 §4), nor of AWS's JWT-SVID.
    assertThat(introspect(basic(), forAws)).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    assertThat(introspect(basic(), task.svidFor("sts.amazonaws.com"))).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    assertThat(introspect(basic(), task.svidFor(url))).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    assertThat(introspect(aws, forAws).get("active").asBoolean()).isTrue();
    assertThat(introspect(aws, forVault).get("active").asBoolean()).isFalse();

    // Revoking a token outside its audiences answers 200 (RFC 7009: no oracle) and changes nothing.
    assertThat(post("/revoke", basic(), form("token", forAws)).statusCode()).isEqualTo(200);
    assertThat(introspect(aws, forAws).get("active").asBoolean()).isTrue();
    assertThat(issuer.store().findCredential(CredentialKind.DOWNSTREAM_TOKEN, jti(forAws)).orElseThrow().revokedAt()).isNull();
    // Inside them it revokes.
    assertThat(post("/revoke", aws, form("token", forAws)).statusCode()).isEqualTo(200);
    assertThat(introspect(aws, forAws).get("active").asBoolean()).isFalse();
    assertThat(introspect(basic(), forVault).get("active").asBoolean()).isTrue();
  }

  @Test
  void aTaskAuthenticatedByItsJwtSvidSeesAndRevokesOnlyItsOwnTokens() throws Exception {
    Task caller = begin(url, "vault.example");
    String own = exchange(caller.svidFor(url), "audience", "vault.example").get("access_token").asText();
    Task other = begin(url, "vault.example");
    String others = exchange(other.svidFor(url), "audience", "vault.example").get("access_token").asText();
    String bearer = "Bearer " + caller.svidFor(url);

    assertThat(introspect(bearer, own).get("active").asBoolean()).isTrue();
    assertThat(introspect(bearer, others)).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    assertThat(introspect(bearer, other.svidFor("vault.example")).get("active").asBoolean()).isFalse();
    assertThat(post("/revoke", bearer, form("token", others)).statusCode()).isEqualTo(200);
    assertThat(introspect(basic(), others).get("active").asBoolean()).isTrue();
  }

  @Test
  void introspectionWithoutValidClientAuthenticationIsInvalidClient() throws Exception {
    Task task = begin(url);
    String svid = task.svidFor(url);
    String wrongSecret = "Basic " + Base64.getEncoder().encodeToString((RP_ID + ":wrong-secret-123456").getBytes(StandardCharsets.UTF_8));
    String unknownClient = "Basic " + Base64.getEncoder().encodeToString(("nobody:" + RP_SECRET).getBytes(StandardCharsets.UTF_8));
    for (String auth : new String[] {null, wrongSecret, unknownClient, "Bearer not-a-jwt", "Bearer " + task.begun.controlToken()}) {
      HttpResponse<String> r = post("/introspect", auth, form("token", svid));
      assertError(r, 401, "invalid_client");
      assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).contains("Basic"));
      assertThat(r.body()).doesNotContain(svid).doesNotContain(RP_SECRET);
    }
    assertError(post("/revoke", null, form("token", svid)), 401, "invalid_client");
  }

  @Test
  void introspectionOfForeignOrMalformedTokensIsInactiveWithoutAReason() throws Exception {
    for (String token : List.of("garbage", foreignJwtSvid("https://other.example", "spiffe://other.test/x"), foreignJwtSvid(url, "spiffe://taskbound.test/dev/x"))) {
      assertThat(introspect(basic(), token)).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
    }
  }

  // ---- refusals --------------------------------------------------------------------------------------------

  @Test
  void ourTokensWithMangledSignaturesAreRefusedNotInternalErrors() throws Exception {
    Task task = begin(url);
    String[] parts = task.svidFor(url).split("\\.");
    for (byte[] sig : List.of(new byte[0], new byte[1], new byte[63], new byte[65], new byte[64], new byte[4096])) {
      java.util.Arrays.fill(sig, (byte) 0xff);
      String mangled = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
      assertError(post("/token", null, exchangeForm(mangled, "audience", "vault.example")), 400, "invalid_grant");
      assertThat(introspect(basic(), mangled)).isEqualTo(ApiJson.mapper().readTree("{\"active\":false}"));
      assertError(post("/introspect", "Bearer " + mangled, form("token", task.svidFor(url))), 401, "invalid_client");
    }
  }

  @Test
  void wrongGrantTypeIsUnsupportedGrantType() throws Exception {
    Task task = begin(url);
    assertError(
        post("/token", null, form("grant_type", "client_credentials", "subject_token", task.svidFor(url), "subject_token_type", JWT, "audience", "vault.example")),
        400, "unsupported_grant_type");
    assertError(post("/token", null, form("subject_token", task.svidFor(url), "subject_token_type", JWT)), 400, "invalid_request");
  }

  @Test
  void unknownSubjectTokenTypeIsInvalidRequest() throws Exception {
    Task task = begin(url);
    assertError(
        post("/token", null, form("grant_type", GRANT, "subject_token", task.svidFor(url),
            "subject_token_type", "urn:ietf:params:oauth:token-type:saml2", "audience", "vault.example")),
        400, "invalid_request");
  }

  @Test
  void missingSubjectTokenOrAudienceIsInvalidRequest() throws Exception {
    Task task = begin(url);
    assertError(post("/token", null, form("grant_type", GRANT, "subject_token_type", JWT, "audience", "vault.example")), 400, "invalid_request");
    assertError(post("/token", null, form("grant_type", GRANT, "subject_token", task.svidFor(url), "subject_token_type", JWT)), 400, "invalid_request");
    // A single-valued parameter given twice.
    assertError(
        post("/token", null, form("grant_type", GRANT, "grant_type", GRANT, "subject_token", task.svidFor(url), "subject_token_type", JWT, "audience", "vault.example")),
        400, "invalid_request");
  }

  @Test
  void tokenOfAnotherTrustDomainIsInvalidGrant() throws Exception {
    assertError(post("/token", null, exchangeForm(foreignJwtSvid("https://other.example", "spiffe://other.test/ci/x"), "audience", "vault.example")), 400, "invalid_grant");
    // Our issuer URL and trust domain, but not our key.
    assertError(post("/token", null, exchangeForm(foreignJwtSvid(url, "spiffe://taskbound.test/dev/x"), "audience", "vault.example")), 400, "invalid_grant");
  }

  @Test
  void expiredJwtSvidIsInvalidGrant() throws Exception {
    Task task = begin(url);
    String svid = task.svidFor(url);
    CLOCK.advance(Duration.ofMinutes(6));
    try {
      HttpResponse<String> r = post("/token", null, exchangeForm(svid, "audience", "vault.example"));
      assertError(r, 400, "invalid_grant");
      assertThat(ApiJson.mapper().readTree(r.body()).get("error_description").asText()).contains("expired");
    } finally {
      CLOCK.reset();
    }
  }

  @Test
  void jwtSvidNotAddressedToTheIssuerIsInvalidGrant() throws Exception {
    Task task = begin(url, "vault.example");
    assertError(post("/token", null, exchangeForm(task.svidFor("vault.example"), "audience", "vault.example")), 400, "invalid_grant");
  }

  @Test
  void audienceTheTaskMayNotUseIsInvalidTarget() throws Exception {
    Task task = begin(url);
    assertError(post("/token", null, exchangeForm(task.svidFor(url), "audience", "evil.example")), 400, "invalid_target");
    // Two targets at once, and the issuer itself, are refused too.
    assertError(
        post("/token", null, form("grant_type", GRANT, "subject_token", task.svidFor(url), "subject_token_type", JWT,
            "audience", "vault.example", "audience", "sts.amazonaws.com")),
        400, "invalid_target");
    assertError(post("/token", null, exchangeForm(task.svidFor(url), "audience", url)), 400, "invalid_target");
    assertThat(issuer.store().findExchangeGrant(task.begun.taskId()).orElseThrow().exchanges()).isZero();
  }

  @Test
  void exchangesBeyondThePolicyLimitAreInvalidGrant() throws Exception {
    Task task = begin(url);
    for (int i = 0; i < 3; i++) {
      exchange(task.svidFor(url), "audience", "vault.example");
    }
    HttpResponse<String> fourth = post("/token", null, exchangeForm(task.svidFor(url), "audience", "vault.example"));
    assertError(fourth, 400, "invalid_grant");
    assertThat(ApiJson.mapper().readTree(fourth.body()).get("error_description").asText()).contains("exchanges");
    assertThat(issuer.store().credentialsOf(task.begun.taskId()))
        .filteredOn(c -> c.kind() == CredentialKind.DOWNSTREAM_TOKEN)
        .hasSize(3);
  }

  @Test
  void tokensNeverAppearInLogsOrErrorDescriptions() throws Exception {
    PrintStream original = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    List<String> secrets = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Task task = begin(url, "vault.example");
      String svid = task.svidFor(url);
      secrets.add(svid);
      secrets.add(task.begun.controlToken());
      secrets.add(exchange(svid, "audience", "vault.example").get("access_token").asText());
      bodies.add(post("/token", null, exchangeForm(svid, "audience", "evil.example")).body());
      bodies.add(post("/token", null, exchangeForm(task.svidFor("vault.example"), "audience", "vault.example")).body());
      bodies.add(post("/token", null, form("grant_type", "password", "subject_token", svid)).body());
      bodies.add(post("/introspect", "Basic " + Base64.getEncoder().encodeToString((RP_ID + ":" + svid).getBytes(StandardCharsets.UTF_8)), form("token", svid)).body());
    } finally {
      System.setErr(original);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    for (String secret : secrets) {
      assertThat(logs).doesNotContain(secret);
      assertThat(bodies).noneMatch(b -> b.contains(secret));
    }
    assertThat(logs).contains("token exchanged");
  }

  // ---- helpers ---------------------------------------------------------------------------------------------

  record Task(BeginTaskResponse begun) {
    String svidFor(String audience) {
      return begun.jwtSvids().stream().filter(j -> j.audience().equals(audience)).map(JwtSvidCredential::token).findFirst().orElseThrow();
    }
  }

  static Task begin(String... audiences) {
    return new Task(client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(audiences), "20m"));
  }

  static JsonNode exchange(String subjectToken, String parameter, String audience) throws Exception {
    HttpResponse<String> r = post("/token", null, exchangeForm(subjectToken, parameter, audience));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    return ApiJson.mapper().readTree(r.body());
  }

  static String exchangeForm(String subjectToken, String parameter, String audience) {
    return form("grant_type", GRANT, "subject_token", subjectToken, "subject_token_type", JWT, parameter, audience);
  }

  static JsonNode introspect(String authorization, String token) throws Exception {
    HttpResponse<String> r = post("/introspect", authorization, form("token", token));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ApiJson.mapper().readTree(r.body());
  }

  static String basic() {
    return basic(RP_ID, RP_SECRET);
  }

  static String basic(String id, String secret) {
    return "Basic " + Base64.getEncoder().encodeToString((id + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  static String form(String... pairs) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      if (out.length() > 0) {
        out.append('&');
      }
      out.append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return out.toString();
  }

  static HttpResponse<String> post(String path, String authorization, String form) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> get(String path) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r;
  }

  static void assertError(HttpResponse<String> r, int status, String error) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    JsonNode body = ApiJson.mapper().readTree(r.body());
    assertThat(body.get("error").asText()).isEqualTo(error);
    assertThat(body.get("error_description").asText()).isNotBlank();
  }

  static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  static String jti(String jwt) throws Exception {
    return SignedJWT.parse(jwt).getJWTClaimsSet().getJWTID();
  }

  /** A JWT-SVID-shaped token signed by a key that is not ours. */
  static String foreignJwtSvid(String iss, String sub) throws Exception {
    ECKey key = new ECKeyGenerator(Curve.P_256).keyID("foreign").generate();
    Instant now = Instant.now();
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("foreign").type(JOSEObjectType.JWT).build(),
            new JWTClaimsSet.Builder()
                .issuer(iss)
                .subject(sub)
                .audience(url)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plusSeconds(300)))
                .jwtID(UUID.randomUUID().toString())
                .claim(JwtSvidMinter.TASK_CLAIM, Map.of("task_id", "tsk_" + "a".repeat(26)))
                .build());
    jwt.sign(new ECDSASigner(key));
    return jwt.serialize();
  }
}
