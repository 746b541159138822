package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.client.evidence.EvidenceVerifier;
import dev.taskbound.client.evidence.NoteKey;
import dev.taskbound.client.evidence.RevocationReceipt;
import dev.taskbound.client.evidence.VerificationResult;
import dev.taskbound.api.TaskOutcome;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.store.CredentialKind;
import dev.taskbound.issuer.store.TaskRecord;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * [4/7] through the API: every credential a client receives has its evidence committed first; the task's bundle
 * and the end's receipt verify offline with only the log's verifier key (checked by the client's verifier).
 */
class EvidenceFlowTest {
  @TempDir Path dataDir;
  Issuer issuer;
  IssuerClient client;
  final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    issuer = Issuer.start(ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null), Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  @AfterEach
  void stop() {
    issuer.close();
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(issuer.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
    return r.body();
  }

  @Test
  void aTasksBundleVerifiesOfflineAndShowsEveryCredentialRevoked() throws Exception {
    BeginTaskResponse begun = client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
    assertThat(begun.evidence()).isNotNull();
    assertThat(begun.evidence().checkpoint()).contains("taskbound.test/taskbound/evidence");
    RenewTaskResponse renewed = client.renew(begun.taskId(), begun.controlToken());
    assertThat(renewed.evidence().leafIndex()).isGreaterThan(begun.evidence().leafIndex());
    EndTaskResponse ended = client.end(begun.taskId(), begun.controlToken(), "succeeded", null);

    NoteKey key = NoteKey.parse(get("/evidence/key").trim());
    assertThat(ended.evidenceUrl()).isEqualTo(issuer.url() + "/evidence/tasks/" + begun.taskId());
    byte[] bundle = get("/evidence/tasks/" + begun.taskId()).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    VerificationResult result = EvidenceVerifier.verify(bundle, key);
    assertThat(result.failures()).isEmpty();
    assertThat(result.valid()).isTrue();

    // The receipt is signed by the log key and names what was revoked; a repeat of end returns the same receipt.
    RevocationReceipt receipt = EvidenceVerifier.verifyReceipt(ApiJson.mapper().writeValueAsBytes(ended.receipt()), key);
    assertThat(receipt.toString()).contains(begun.taskId());
    assertThat(client.end(begun.taskId(), begun.controlToken(), "failed", null).receipt()).isEqualTo(ended.receipt());
    // Kept with the task by the end's own write: what the store holds is what the caller was given.
    assertThat(ApiJson.mapper().readTree(issuer.store().endReceipt(begun.taskId()).orElseThrow())).isEqualTo(ended.receipt());

    // Any changed byte of the served bundle fails verification (a sample of positions across it).
    for (int i = 0; i < bundle.length; i += Math.max(1, bundle.length / 97)) {
      byte[] tampered = bundle.clone();
      tampered[i] ^= 0x01;
      boolean valid;
      try {
        valid = EvidenceVerifier.verify(tampered, key).valid();
      } catch (RuntimeException e) {
        valid = false;
      }
      assertThat(valid).as("byte %d changed", i).isFalse();
    }
  }

  @Test
  void anExchangedTokenIsInTheBundleAndRevokedAtTheEnd() throws Exception {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(issuer.url(), "sts.example"), null);
    String subject = begun.jwtSvids().get(0).token();
    String form =
        "grant_type=" + enc("urn:ietf:params:oauth:grant-type:token-exchange") + "&subject_token=" + enc(subject)
            + "&subject_token_type=" + enc("urn:ietf:params:oauth:token-type:jwt") + "&audience=sts.example";
    HttpResponse<String> exchanged =
        http.send(
            HttpRequest.newBuilder(URI.create(issuer.url() + "/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(exchanged.statusCode()).as(exchanged.body()).isEqualTo(200);
    String downstreamJti = com.nimbusds.jwt.SignedJWT.parse(ApiJson.mapper().readTree(exchanged.body()).get("access_token").asText()).getJWTClaimsSet().getJWTID();
    client.end(begun.taskId(), begun.controlToken(), "succeeded", null);

    String bundle = get("/evidence/tasks/" + begun.taskId());
    VerificationResult result = EvidenceVerifier.verify(bundle.getBytes(java.nio.charset.StandardCharsets.UTF_8), NoteKey.parse(get("/evidence/key").trim()));
    assertThat(result.failures()).isEmpty();
    String statement = new String(java.util.Base64.getDecoder().decode(ApiJson.mapper().readTree(bundle).at("/envelope/payload").asText()), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(statement).contains("token.exchanged").contains(downstreamJti);
  }

  @Test
  void aTokenRevokedThroughRfc7009BeforeTheEndIsInTheBundleAsRevokedThen() throws Exception {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(issuer.url(), "sts.example"), null);
    String downstream = exchange(begun.jwtSvids().get(0).token(), "sts.example");
    String downstreamJti = jti(downstream);
    HttpResponse<String> revoked = revoke(begun.controlToken(), downstream);
    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(200);
    java.time.Instant revokedAt =
        issuer.store().findCredential(CredentialKind.DOWNSTREAM_TOKEN, jti(downstream)).orElseThrow().revokedAt();
    // The JWT-SVID for sts.example too, by a relying party's route (the task's own JWT-SVID as Bearer).
    assertThat(revoke(begun.jwtSvids().get(0).token(), begun.jwtSvids().get(1).token()).statusCode()).isEqualTo(200);
    EndTaskResponse ended = client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
    assertThat(ended.revoked()).extracting(r -> r.id()).doesNotContain(jti(downstream));

    VerificationResult result = EvidenceVerifier.verify(client.evidenceBundle(begun.taskId()), NoteKey.parse(client.evidenceKey().trim()));
    assertThat(result.failures()).isEmpty();
    assertThat(result.valid()).isTrue();
    assertThat(result.statement().credentials())
        .filteredOn(c -> c.credentialId().equals(downstreamJti))
        .singleElement()
        .satisfies(c -> {
          assertThat(c.revokedAt()).isEqualTo(revokedAt.getEpochSecond());
          assertThat(c.residualExposureSeconds()).isEqualTo(c.expiresAt() - revokedAt.getEpochSecond());
        });
    assertThat(result.statement().credentials()).allSatisfy(c -> assertThat(c.revokedAt()).isNotNull());
    // Logged once each, in the order they happened: the revocation before the end.
    List<String> types = result.statement().entries().stream().map(e -> e.type() + " " + e.event().path("credential_id").asText()).toList();
    assertThat(types).containsOnlyOnce("credential.revoked " + jti(downstream));
    assertThat(types.indexOf("credential.revoked " + jti(downstream))).isLessThan(types.indexOf("task.ended "));
  }

  @Test
  void aRevocationWhoseEntryIsMissingIsLoggedByTheTasksEnd() throws Exception {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud-1"), null);
    // As when the log was down at /revoke (answered 503; the store's revocation stands).
    String svidJti = jti(begun.jwtSvids().get(0).token());
    assertThat(issuer.store().revokeCredential(CredentialKind.JWT_SVID, svidJti, java.time.Instant.now())).isTrue();
    client.end(begun.taskId(), begun.controlToken(), "failed", null);

    VerificationResult result = EvidenceVerifier.verify(client.evidenceBundle(begun.taskId()), NoteKey.parse(client.evidenceKey().trim()));
    assertThat(result.failures()).isEmpty();
    assertThat(result.statement().credentials()).filteredOn(c -> c.credentialId().equals(svidJti)).singleElement()
        .satisfies(c -> assertThat(c.revokedAt()).isNotNull());
  }

  @Test
  void withoutTheEvidenceLogRevocationIsRetryableAndStillTakesEffect() throws Exception {
    BeginTaskResponse begun =
        client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(issuer.url(), "sts.example"), null);
    String downstream = exchange(begun.jwtSvids().get(0).token(), "sts.example");
    issuer.evidence().close();
    HttpResponse<String> r = revoke(begun.controlToken(), downstream);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
    assertThat(ApiJson.mapper().readTree(r.body()).get("error").asText()).isEqualTo("temporarily_unavailable");
    assertThat(issuer.store().findCredential(CredentialKind.DOWNSTREAM_TOKEN, jti(downstream)).orElseThrow().revokedAt()).isNotNull();
  }

  private String exchange(String subject, String audience) throws Exception {
    String form =
        "grant_type=" + enc("urn:ietf:params:oauth:grant-type:token-exchange") + "&subject_token=" + enc(subject)
            + "&subject_token_type=" + enc("urn:ietf:params:oauth:token-type:jwt") + "&audience=" + enc(audience);
    HttpResponse<String> r = postForm("/token", null, form);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return ApiJson.mapper().readTree(r.body()).get("access_token").asText();
  }

  private HttpResponse<String> revoke(String bearer, String token) throws Exception {
    return postForm("/revoke", "Bearer " + bearer, "token=" + enc(token));
  }

  private HttpResponse<String> postForm(String path, String authorization, String form) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(issuer.url() + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String jti(String jwt) throws Exception {
    return com.nimbusds.jwt.SignedJWT.parse(jwt).getJWTClaimsSet().getJWTID();
  }

  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void keyStatesAndControllerRegistrationsAreLoggedOncePerChange() throws Exception {
    dev.taskbound.issuer.evidence.RegistryEvents events =
        new dev.taskbound.issuer.evidence.RegistryEvents(issuer.store(), issuer.evidence(), Clock.systemUTC());
    int baseline = events.record();
    assertThat(baseline).as("every current key, logged once as a baseline").isGreaterThanOrEqualTo(3);
    assertThat(loggedTypes()).contains("x509-svid", "jwt-svid");
    assertThat(events.record()).as("nothing changed").isZero();

    var key = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("k-test").generate();
    java.time.Instant now = java.time.Instant.now();
    var prepared = new dev.taskbound.issuer.store.BundleKeyRecord(
        "k-test", "jwt-svid", "ES256", dev.taskbound.issuer.store.KeyState.PREPARED, key.toPublicJWK().toJSONString(), now, null, null, null, null);
    issuer.store().putBundleKey(prepared);
    assertThat(events.record()).isEqualTo(1);
    issuer.store().putBundleKey(new dev.taskbound.issuer.store.BundleKeyRecord(
        "k-test", "jwt-svid", "ES256", dev.taskbound.issuer.store.KeyState.ACTIVE, key.toPublicJWK().toJSONString(), now, now, null, null, null));
    assertThat(events.record()).isEqualTo(1);
    issuer.store().removeBundleKey("k-test");
    assertThat(events.record()).isEqualTo(1);
    assertThat(loggedKeyStates("k-test")).containsExactly("prepared", "active", "removed");

    var controllerKey = new com.nimbusds.jose.jwk.gen.ECKeyGenerator(com.nimbusds.jose.jwk.Curve.P_256).keyID("c1").generate();
    issuer.store().putController(new dev.taskbound.issuer.store.ControllerRecord(
        "ci-prod", new com.nimbusds.jose.jwk.JWKSet(controllerKey.toPublicJWK()).toString(), null, now));
    assertThat(events.record()).isEqualTo(1);
    assertThat(events.record()).isZero();
    try (var c = ((dev.taskbound.issuer.store.JdbcStore) issuer.store()).dataSource().getConnection();
        var rs = c.createStatement().executeQuery("SELECT entry FROM evidence_entries WHERE event_type = 'controller.registered'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString(1)).contains("ci-prod").contains(controllerKey.computeThumbprint().toString());
    }
  }

  private List<String> loggedTypes() throws Exception {
    return query("SELECT entry FROM evidence_entries WHERE event_type = 'key.rotated' ORDER BY leaf_index").stream()
        .map(e -> e.get("key_use").asText()).toList();
  }

  private List<String> loggedKeyStates(String kid) throws Exception {
    return query("SELECT entry FROM evidence_entries WHERE event_type = 'key.rotated' ORDER BY leaf_index").stream()
        .filter(e -> e.get("kid").asText().equals(kid))
        .map(e -> e.get("state").asText())
        // The issuer's own observer may log a change too; each observer sees states in order.
        .distinct()
        .toList();
  }

  private List<com.fasterxml.jackson.databind.JsonNode> query(String sql) throws Exception {
    List<com.fasterxml.jackson.databind.JsonNode> out = new java.util.ArrayList<>();
    try (var c = ((dev.taskbound.issuer.store.JdbcStore) issuer.store()).dataSource().getConnection();
        var rs = c.createStatement().executeQuery(sql)) {
      while (rs.next()) {
        out.add(ApiJson.mapper().readTree(rs.getString(1)));
      }
    }
    return out;
  }

  @Test
  void checkpointsOfTheServedLogAreConsistent() throws Exception {
    String first = get("/evidence/checkpoint");
    client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(), null);
    String second = get("/evidence/checkpoint");
    long from = Long.parseLong(first.split("\n")[1]);
    long to = Long.parseLong(second.split("\n")[1]);
    assertThat(to).isGreaterThan(from);
    var proof = ApiJson.mapper().readTree(get("/evidence/proof/consistency?from=" + from + "&to=" + to));
    List<byte[]> hashes = new java.util.ArrayList<>();
    proof.get("proof").forEach(h -> hashes.add(java.util.Base64.getDecoder().decode(h.asText())));
    NoteKey key = NoteKey.parse(get("/evidence/key").trim());
    assertThat(EvidenceVerifier.verifyConsistency(first, second, hashes, key)).isTrue();
    if (!hashes.isEmpty()) {
      hashes.set(0, new byte[32]);
      assertThat(EvidenceVerifier.verifyConsistency(first, second, hashes, key)).isFalse();
    }
  }

  @Test
  void withoutTheEvidenceLogNoCredentialLeavesAndNothingIsRecorded() {
    String token = issuer.mintDevToken(Duration.ofMinutes(5));
    issuer.evidence().close();
    assertThatThrownBy(() -> client.begin(new Attestation("dev", token), TaskKey.generate(), List.of("aud"), null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.problem().type()).endsWith("/evidence-unavailable");
        });
    // The task and its evidence are one write: without the log, the task is not recorded either.
    assertThat(issuer.store().listTasks(null, 10)).isEmpty();
  }

  @Test
  void withoutTheEvidenceLogAnEndStillRevokesAndAsksForARetry() {
    BeginTaskResponse begun = client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of("aud"), null);
    issuer.evidence().close();
    assertThatThrownBy(() -> client.end(begun.taskId(), begun.controlToken(), "succeeded", null))
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(503);
          assertThat(e.problem().type()).endsWith("/evidence-unavailable");
          assertThat(e.problem().detail()).contains("has ended and its credentials are revoked");
        });
    // The end and its evidence are one write; when the log refuses, the end is made alone: it stands, nothing is
    // left valid, and no receipt claims evidence that was not written.
    TaskRecord task = issuer.store().findTask(begun.taskId()).orElseThrow();
    assertThat(task.state().name()).isEqualTo("ENDED");
    assertThat(issuer.store().credentialsOf(begun.taskId())).allSatisfy(c -> assertThat(c.revokedAt()).isEqualTo(task.endedAt()));
    assertThat(issuer.store().endReceipt(begun.taskId())).isEmpty();
  }

  @Test
  void anEndRecordedWithoutTheLogIsLoggedByTheRunningIssuer() throws Exception {
    BeginTaskResponse begun = client.begin(new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5))), TaskKey.generate(), List.of(), null);
    // As `taskbound-issuer tasks end` does against the store while the issuer runs.
    try (Issuer.Offline offline = Issuer.offline(issuer.config(), Clock.systemUTC())) {
      assertThat(offline.tasks().endAsOperator(begun.taskId(), TaskOutcome.REVOKED, "incident").receipt()).isNull();
    }
    assertThat(issuer.store().endReceipt(begun.taskId())).isEmpty();
    assertThat(issuer.tasks().logPendingEnds(10)).isEqualTo(1);
    assertThat(issuer.store().endReceipt(begun.taskId())).isPresent();
    NoteKey key = NoteKey.parse(get("/evidence/key").trim());
    assertThat(EvidenceVerifier.verify(get("/evidence/tasks/" + begun.taskId()).getBytes(java.nio.charset.StandardCharsets.UTF_8), key).failures()).isEmpty();
    assertThat(issuer.tasks().logPendingEnds(10)).isZero();
  }

  @Test
  void unknownOrMalformedTaskIdsHaveNoEvidence() throws Exception {
    for (String path : List.of("/evidence/tasks/tsk_aaaaaaaaaaaaaaaaaaaaaaaaaa", "/evidence/tasks/..%2F..%2Fetc", "/evidence/proof/consistency?from=5&to=1")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(issuer.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isIn(400, 404);
      assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("application/problem+json");
    }
  }

}
