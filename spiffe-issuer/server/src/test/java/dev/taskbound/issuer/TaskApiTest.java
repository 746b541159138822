package dev.taskbound.issuer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ApiJson;
import dev.taskbound.api.Attestation;
import dev.taskbound.api.BeginTaskRequest;
import dev.taskbound.api.BeginTaskResponse;
import dev.taskbound.api.EndTaskResponse;
import dev.taskbound.api.JwtSvidCredential;
import dev.taskbound.api.ProofOfPossession;
import dev.taskbound.api.RenewTaskResponse;
import dev.taskbound.api.RevokedCredential;
import dev.taskbound.api.TaskView;
import dev.taskbound.client.IssuerClient;
import dev.taskbound.client.IssuerException;
import dev.taskbound.client.TaskKey;
import dev.taskbound.issuer.config.ConfigLoader;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.CredentialRecord;
import dev.taskbound.issuer.store.TaskRecord;
import io.spiffe.bundle.jwtbundle.JwtBundle;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.jwtsvid.JwtSvid;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The task API over real HTTP on loopback, against a dev-mode issuer (SQLite, generated CA). Credentials are
 * checked by java-spiffe, not by our own code; every refused request is shown to change nothing.
 */
class TaskApiTest {
  @TempDir static Path dataDir;
  static Issuer issuer;
  static IssuerClient client;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    IssuerConfig cfg = ConfigLoader.override(ConfigLoader.dev(dataDir), true, "127.0.0.1:0", null);
    issuer = Issuer.start(cfg, Clock.systemUTC());
    client = new IssuerClient(issuer.url());
  }

  @AfterAll
  static void stop() {
    issuer.close();
  }

  private static Attestation devAttestation() {
    return new Attestation("dev", issuer.mintDevToken(Duration.ofMinutes(5)));
  }

  @Test
  void beginRenewEndOverHttpWithCredentialsCheckedByJavaSpiffe() throws Exception {
    TaskKey key = TaskKey.generate();
    BeginTaskResponse begun = client.begin(devAttestation(), key, List.of("sts.example", "vault.example"), "10m");

    assertThat(begun.taskId()).matches("tsk_[a-z2-7]{26}");
    assertThat(begun.spiffeId()).matches("spiffe://taskbound\\.test/dev/[0-9a-f]{16}");
    // The task's id, then 256 random bits: a bearer that is only the token is checked against that one task.
    assertThat(begun.controlToken()).matches("tbct_" + begun.taskId().substring(4) + "_[A-Za-z0-9_-]{43}");
    assertThat(begun.expiresAt()).isAfter(Instant.now().plus(Duration.ofMinutes(9)));
    assertThat(begun.renewAfter()).isBefore(begun.expiresAt()).isAfter(Instant.now());

    // X.509-SVID: parsed by java-spiffe with the key that never left this test, chain verified against /bundle.
    TrustDomain td = TrustDomain.parse("taskbound.test");
    X509Svid svid =
        X509Svid.parse(begun.x509SvidChainPem().getBytes(StandardCharsets.UTF_8), key.privateKeyPem().getBytes(StandardCharsets.UTF_8));
    assertThat(svid.getSpiffeId().toString()).isEqualTo(begun.spiffeId());
    X509Bundle x509Bundle = X509Bundle.parse(td, begun.bundlePem().getBytes(StandardCharsets.UTF_8));
    X509SvidValidator.verifyChain(svid.getChain(), x509Bundle);

    // JWT-SVIDs: one per audience, validated by java-spiffe against the jwt-svid keys of GET /bundle.
    JwtBundle jwtBundle = jwtBundleFromServedBundle(td);
    assertThat(begun.jwtSvids()).extracting(JwtSvidCredential::audience).containsExactly("sts.example", "vault.example");
    for (JwtSvidCredential jwt : begun.jwtSvids()) {
      JwtSvid parsed = JwtSvid.parseAndValidate(jwt.token(), jwtBundle, Set.of(jwt.audience()));
      assertThat(parsed.getSpiffeId().toString()).isEqualTo(begun.spiffeId());
      assertThat(parsed.getClaims()).containsKey("jti");
    }
    assertThatThrownBy(() -> JwtSvid.parseAndValidate(begun.jwtSvids().get(0).token(), jwtBundle, Set.of("someone-else")))
        .hasMessageContaining("audience");

    // Renew: fresh SVIDs over the same key, a new serial.
    RenewTaskResponse renewed = client.renew(begun.taskId(), begun.controlToken());
    X509Svid renewedSvid =
        X509Svid.parse(renewed.x509SvidChainPem().getBytes(StandardCharsets.UTF_8), key.privateKeyPem().getBytes(StandardCharsets.UTF_8));
    assertThat(renewedSvid.getLeaf().getSerialNumber()).isNotEqualTo(svid.getLeaf().getSerialNumber());
    assertThat(renewedSvid.getLeaf().getPublicKey()).isEqualTo(svid.getLeaf().getPublicKey());
    X509SvidValidator.verifyChain(renewedSvid.getChain(), x509Bundle);

    // End: everything issued (3 at begin, 3 at renew) is revoked at the same instant; residual exposure recorded.
    EndTaskResponse ended = client.end(begun.taskId(), begun.controlToken(), "succeeded", null);
    assertThat(ended.outcome()).isEqualTo("succeeded");
    assertThat(ended.revoked()).hasSize(6);
    assertThat(ended.revoked()).allSatisfy(r -> {
      assertThat(r.revokedAt()).isEqualTo(ended.endedAt());
      assertThat(r.residualExposureSeconds()).isPositive();
    });
    assertThat(ended.revoked()).extracting(RevokedCredential::id)
        .contains(
            EndAndEvidenceAgreeTest.opensslSerial(svid.getLeaf()).toLowerCase(java.util.Locale.ROOT),
            EndAndEvidenceAgreeTest.opensslSerial(renewedSvid.getLeaf()).toLowerCase(java.util.Locale.ROOT));

    // Idempotent: a repeat (even with another outcome) answers the same and changes nothing.
    EndTaskResponse again = client.end(begun.taskId(), begun.controlToken(), "failed", "late retry");
    assertThat(again).isEqualTo(ended);

    TaskView view = client.get(begun.taskId(), begun.controlToken());
    assertThat(view.state()).isEqualTo("ended");
    assertThat(view.outcome()).isEqualTo("succeeded");
    assertThat(view.credentials()).hasSize(6).allSatisfy(c -> assertThat(c.revokedAt()).isEqualTo(ended.endedAt()));
    assertThat(ApiJson.mapper().writeValueAsString(view)).doesNotContain(begun.controlToken()).doesNotContain("BEGIN CERTIFICATE");
  }

  @Test
  void taskIdsCarryTheirCreationTimeThenRandomBits() {
    long before = System.currentTimeMillis();
    String first = client.begin(devAttestation(), TaskKey.generate(), List.of(), null).taskId();
    String second = client.begin(devAttestation(), TaskKey.generate(), List.of(), null).taskId();
    long after = System.currentTimeMillis();

    byte[] a = base32(first.substring(4));
    byte[] b = base32(second.substring(4));
    // 48 bits of milliseconds first (so ids of one moment sit together in the store's indexes) ...
    assertThat(millis(a)).isBetween(before, after);
    assertThat(millis(b)).isBetween(millis(a), after);
    // ... then 80 random bits: two tasks never share them.
    assertThat(java.util.Arrays.copyOfRange(a, 6, 16)).isNotEqualTo(java.util.Arrays.copyOfRange(b, 6, 16));
  }

  private static long millis(byte[] id) {
    long m = 0;
    for (int i = 0; i < 6; i++) {
      m = (m << 8) | (id[i] & 0xff);
    }
    return m;
  }

  /** The 16 bytes behind a task id's 26 base32 characters (alphabet a-z then 2-7, no padding). */
  private static byte[] base32(String text) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    java.math.BigInteger bits = java.math.BigInteger.ZERO;
    for (char ch : text.toCharArray()) {
      bits = bits.shiftLeft(5).or(java.math.BigInteger.valueOf(alphabet.indexOf(ch)));
    }
    byte[] raw = bits.shiftRight(26 * 5 - 128).toByteArray();
    byte[] out = new byte[16];
    System.arraycopy(raw, Math.max(0, raw.length - 16), out, Math.max(0, 16 - raw.length), Math.min(16, raw.length));
    return out;
  }

  @Test
  void endListenersHearOfEachEndOnceWithWhatItRevoked() {
    List<List<CredentialRecord>> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of("a", "b"), null);
    issuer.tasks().addEndListener((task, revoked) -> {
      if (task.taskId().equals(begun.taskId())) {
        heard.add(revoked);
      }
    });
    client.end(begun.taskId(), begun.controlToken(), "failed", null);
    client.end(begun.taskId(), begun.controlToken(), "failed", null);
    assertThat(heard).singleElement().satisfies(revoked -> assertThat(revoked).hasSize(3));
  }

  @Test
  void renewAfterEndIsRefusedAndChangesNothing() {
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of(), null);
    client.end(begun.taskId(), begun.controlToken(), "aborted", "cancelled by user");
    Snapshot before = Snapshot.of(begun.taskId());

    assertProblem(() -> client.renew(begun.taskId(), begun.controlToken()), 409, "task-not-active");
    assertThat(Snapshot.of(begun.taskId())).isEqualTo(before);
  }

  @Test
  void wrongControlTokenIsRefusedForRenewEndAndRead() {
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of("a"), null);
    Snapshot before = Snapshot.of(begun.taskId());
    String wrong = "tbct_" + "A".repeat(43);

    assertProblem(() -> client.renew(begun.taskId(), wrong), 401, "unauthorized");
    assertProblem(() -> client.end(begun.taskId(), wrong, "succeeded", null), 401, "unauthorized");
    assertProblem(() -> client.get(begun.taskId(), wrong), 401, "unauthorized");
    assertProblem(() -> client.renew(begun.taskId(), null), 401, "unauthorized");
    assertThat(Snapshot.of(begun.taskId())).isEqualTo(before);
    assertThat(before.task().active()).isTrue();
  }

  @Test
  void theControlTokenInAnotherCaseIsRefusedRightAfterTheGenuineOne() {
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of("a"), null);
    String token = begun.controlToken();
    Snapshot before = Snapshot.of(begun.taskId());

    // Sequential requests share one kept-alive connection, where the server's header cache lives.
    for (String wrong : List.of(token.toUpperCase(java.util.Locale.ROOT), token.toLowerCase(java.util.Locale.ROOT))) {
      assertThat(client.get(begun.taskId(), token).taskId()).isEqualTo(begun.taskId());
      assertProblem(() -> client.get(begun.taskId(), wrong), 401, "unauthorized");
      assertProblem(() -> client.end(begun.taskId(), wrong, "succeeded", null), 401, "unauthorized");
    }
    assertThat(client.get(begun.taskId(), token).taskId()).isEqualTo(begun.taskId());
    assertThat(Snapshot.of(begun.taskId())).isEqualTo(before);
  }

  @Test
  void anotherTasksControlTokenIsRefusedForRenewEndAndRead() {
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of("a"), null);
    String others = client.begin(devAttestation(), TaskKey.generate(), List.of(), null).controlToken();
    Snapshot before = Snapshot.of(begun.taskId());

    for (String wrong : List.of(others, "tbct_", begun.controlToken() + "x", begun.controlToken().substring(0, 20))) {
      assertProblem(() -> client.renew(begun.taskId(), wrong), 401, "unauthorized");
      assertProblem(() -> client.end(begun.taskId(), wrong, "succeeded", null), 401, "unauthorized");
      assertProblem(() -> client.get(begun.taskId(), wrong), 401, "unauthorized");
    }
    assertThat(Snapshot.of(begun.taskId())).isEqualTo(before);
  }

  @Test
  void unknownTaskIsNotFound() {
    assertProblem(() -> client.renew("tsk_" + "a".repeat(26), "tbct_x"), 404, "not-found");
    assertProblem(() -> client.get("../../etc/passwd", "tbct_x"), 404, "not-found");
    assertProblem(() -> client.end("tsk_%2e%2e", "tbct_x", "succeeded", null), 404, "not-found");
  }

  @Test
  void invalidOutcomeIsRefusedAndTaskStaysActive() {
    BeginTaskResponse begun = client.begin(devAttestation(), TaskKey.generate(), List.of(), null);
    for (String outcome : List.of("abandoned", "revoked", "SUCCEEDED", "")) {
      assertProblem(() -> client.end(begun.taskId(), begun.controlToken(), outcome, null), 400, "invalid-outcome");
    }
    assertThat(issuer.store().findTask(begun.taskId()).orElseThrow().active()).isTrue();
  }

  // ---- bad begin requests: each refused with its problem type, and the attestation is not consumed ---------

  @Test
  void malformedJsonIsRefused() throws Exception {
    assertRefusedWithoutSideEffects(post("/v1/tasks", "{\"attestation\": {", "application/json"), 400, "malformed-request");
    assertRefusedWithoutSideEffects(post("/v1/tasks", "[1,2,3]", "application/json"), 400, "malformed-request");
    assertRefusedWithoutSideEffects(post("/v1/tasks", "null", "application/json"), 400, "malformed-request");
    assertRefusedWithoutSideEffects(post("/v1/tasks", "{} trailing", "application/json"), 400, "malformed-request");
  }

  @Test
  void bodyOverSixtyFourKibIsRefused() throws Exception {
    String big = "{\"pad\":\"" + "x".repeat(64 * 1024) + "\"}";
    assertRefusedWithoutSideEffects(post("/v1/tasks", big, "application/json"), 413, "payload-too-large");
    // Without Content-Length (chunked), the limit holds while reading.
    HttpRequest chunked =
        HttpRequest.newBuilder(URI.create(issuer.url() + "/v1/tasks"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
            .build();
    assertRefusedWithoutSideEffects(chunked, 413, "payload-too-large");
  }

  @Test
  void wrongContentTypeIsRefused() throws Exception {
    assertRefusedWithoutSideEffects(post("/v1/tasks", "{}", "text/plain"), 415, "unsupported-media-type");
  }

  @Test
  void missingOrNonP256KeyIsRefusedAndTheAttestationStaysUsable() throws Exception {
    Attestation att = devAttestation();
    TaskKey key = TaskKey.generate();
    String proof = key.proofOfPossession(issuer.url(), att.token(), Instant.now());

    assertBeginRefused(new BeginTaskRequest(att, null, proof, List.of(), null), 400, "invalid-key");
    assertBeginRefused(new BeginTaskRequest(att, Map.of("kty", "EC", "crv", "P-256"), proof, List.of(), null), 400, "invalid-key");
    ECKey p384 = new ECKeyGenerator(Curve.P_384).generate();
    assertBeginRefused(new BeginTaskRequest(att, p384.toPublicJWK().toJSONObject(), proof, List.of(), null), 400, "invalid-key");
    assertBeginRefused(
        new BeginTaskRequest(att, new RSAKeyGenerator(2048).generate().toPublicJWK().toJSONObject(), proof, List.of(), null), 400, "invalid-key");
    ECKey withPrivate = new ECKeyGenerator(Curve.P_256).generate();
    assertBeginRefused(new BeginTaskRequest(att, withPrivate.toJSONObject(), proof, List.of(), null), 400, "invalid-key");
    // A point not on the curve.
    Map<String, Object> offCurve = new HashMap<>(key.publicJwk());
    offCurve.put("y", offCurve.get("x"));
    assertBeginRefused(new BeginTaskRequest(att, offCurve, proof, List.of(), null), 400, "invalid-key");

    // None of that consumed the single-use attestation.
    assertThat(client.begin(att, key, List.of(), null).taskId()).isNotBlank();
  }

  @Test
  void keysTheCryptoProviderRejectsAreInvalidKeyNotInternalErrors() throws Exception {
    Attestation att = devAttestation();
    TaskKey key = TaskKey.generate();
    String proof = key.proofOfPossession(issuer.url(), att.token(), Instant.now());

    // x >= p: the point (x mod p, y) is on the curve, so only a range check tells it from a valid key.
    assertBeginRefused(new BeginTaskRequest(att, pointWithXAtLeastP(), proof, List.of(), null), 400, "invalid-key");
    // Coordinates that are not base64url, too short, too long, or empty.
    for (String bad : List.of("***", "AA", "A".repeat(64), "")) {
      Map<String, Object> jwk = new HashMap<>(key.publicJwk());
      jwk.put("x", bad);
      assertBeginRefused(new BeginTaskRequest(att, jwk, proof, List.of(), null), 400, "invalid-key");
    }
    // A P-384 point labelled P-256, and a P-256 point labelled P-384.
    Map<String, Object> mislabelled = new HashMap<>(new ECKeyGenerator(Curve.P_384).generate().toPublicJWK().toJSONObject());
    mislabelled.put("crv", "P-256");
    assertBeginRefused(new BeginTaskRequest(att, mislabelled, proof, List.of(), null), 400, "invalid-key");
    Map<String, Object> relabelled = new HashMap<>(key.publicJwk());
    relabelled.put("crv", "P-384");
    assertBeginRefused(new BeginTaskRequest(att, relabelled, proof, List.of(), null), 400, "invalid-key");
    // Non-string members where strings belong.
    Map<String, Object> numeric = new HashMap<>(key.publicJwk());
    numeric.put("x", 12345);
    assertBeginRefused(new BeginTaskRequest(att, numeric, proof, List.of(), null), 400, "invalid-key");

    // Signatures in encodings the provider may choke on: DER instead of R||S, too short, too long, empty.
    String[] parts = proof.split("\\.");
    byte[] rs = Base64.getUrlDecoder().decode(parts[2]);
    for (byte[] sig : List.of(derSignature(rs), new byte[63], new byte[65], new byte[0], new byte[64])) {
      String mangled = parts[0] + "." + parts[1] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sig);
      assertBeginRefused(new BeginTaskRequest(att, key.publicJwk(), mangled, List.of(), null), 400, "invalid-proof");
    }

    assertThat(client.begin(att, key, List.of(), null).taskId()).isNotBlank();
  }

  /** A P-256 JWK whose x is a small on-curve x plus p: the same point mod p, but not a valid encoding. */
  private static Map<String, Object> pointWithXAtLeastP() {
    java.math.BigInteger p = new java.math.BigInteger("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff", 16);
    java.math.BigInteger b = new java.math.BigInteger("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b", 16);
    for (long small = 1; ; small++) {
      java.math.BigInteger x = java.math.BigInteger.valueOf(small);
      java.math.BigInteger rhs = x.pow(3).subtract(x.multiply(java.math.BigInteger.valueOf(3))).add(b).mod(p);
      java.math.BigInteger y = rhs.modPow(p.add(java.math.BigInteger.ONE).shiftRight(2), p);
      if (y.modPow(java.math.BigInteger.TWO, p).equals(rhs)) {
        return Map.of("kty", "EC", "crv", "P-256", "x", b64(x.add(p)), "y", b64(y));
      }
    }
  }

  private static String b64(java.math.BigInteger n) {
    byte[] raw = n.toByteArray();
    byte[] out = new byte[32];
    int copy = Math.min(raw.length, 32);
    System.arraycopy(raw, raw.length - copy, out, 32 - copy, copy);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
  }

  private static byte[] derSignature(byte[] rs) throws Exception {
    return com.nimbusds.jose.crypto.impl.ECDSA.transcodeSignatureToDER(rs);
  }

  @Test
  void badProofOfPossessionIsRefusedAndTheAttestationStaysUsable() throws Exception {
    Attestation att = devAttestation();
    TaskKey key = TaskKey.generate();
    Map<String, Object> jwk = key.publicJwk();

    // Signed by another key.
    String foreign = TaskKey.generate().proofOfPossession(issuer.url(), att.token(), Instant.now());
    assertBeginRefused(new BeginTaskRequest(att, jwk, foreign, List.of(), null), 400, "invalid-proof");
    // Addressed to another issuer.
    assertBeginRefused(new BeginTaskRequest(att, jwk, key.proofOfPossession("https://evil.example", att.token(), Instant.now()), List.of(), null), 400, "invalid-proof");
    // Stale.
    assertBeginRefused(new BeginTaskRequest(att, jwk, key.proofOfPossession(issuer.url(), att.token(), Instant.now().minus(Duration.ofMinutes(10))), List.of(), null), 400, "invalid-proof");
    // Bound to another attestation.
    assertBeginRefused(new BeginTaskRequest(att, jwk, key.proofOfPossession(issuer.url(), "tbdev_other", Instant.now()), List.of(), null), 400, "invalid-proof");
    // Not a JWS; missing.
    assertBeginRefused(new BeginTaskRequest(att, jwk, "not.a.jws", List.of(), null), 400, "invalid-proof");
    assertBeginRefused(new BeginTaskRequest(att, jwk, null, List.of(), null), 400, "invalid-proof");
    // alg none / HS256 are refused whatever the header says.
    String unsigned = new com.nimbusds.jwt.PlainJWT(popClaims(att.token())).serialize();
    assertBeginRefused(new BeginTaskRequest(att, jwk, unsigned, List.of(), null), 400, "invalid-proof");
    SignedJWT es384 = new SignedJWT(new JWSHeader(JWSAlgorithm.ES384), popClaims(att.token()));
    es384.sign(new ECDSASigner(new ECKeyGenerator(Curve.P_384).generate()));
    assertBeginRefused(new BeginTaskRequest(att, jwk, es384.serialize(), List.of(), null), 400, "invalid-proof");

    assertThat(client.begin(att, key, List.of(), null).taskId()).isNotBlank();
  }

  @Test
  void attestationIsSingleUseAndUnknownAttestorsAreRefused() {
    Attestation att = devAttestation();
    client.begin(att, TaskKey.generate(), List.of(), null);
    Snapshot.Counts before = Snapshot.counts();
    assertProblem(() -> client.begin(att, TaskKey.generate(), List.of(), null), 401, "attestation-failed");
    assertProblem(() -> client.begin(new Attestation("github", "eyJhbGciOi.x.y"), TaskKey.generate(), List.of(), null), 401, "attestation-failed");
    assertProblem(() -> client.begin(new Attestation("dev", "tbdev_made-up"), TaskKey.generate(), List.of(), null), 401, "attestation-failed");
    assertThat(Snapshot.counts()).isEqualTo(before);
  }

  @Test
  void problemsNeverEchoTheAttestationToken() throws Exception {
    Attestation att = devAttestation();
    TaskKey key = TaskKey.generate();
    var req = new BeginTaskRequest(att, key.publicJwk(), "garbage", List.of(), null);
    HttpResponse<String> resp = HTTP.send(post("/v1/tasks", ApiJson.mapper().writeValueAsString(req), "application/json"), HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(400);
    assertThat(resp.body()).doesNotContain(att.token());
    assertThat(resp.headers().firstValue("content-type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/problem+json"));
  }

  // ---- helpers ------------------------------------------------------------------------------------------

  private static JWTClaimsSet popClaims(String attestationToken) throws Exception {
    byte[] d = MessageDigest.getInstance("SHA-256").digest(attestationToken.getBytes(StandardCharsets.UTF_8));
    return new JWTClaimsSet.Builder()
        .audience(issuer.url())
        .issueTime(new Date())
        .jwtID(UUID.randomUUID().toString())
        .claim(ProofOfPossession.CLAIM_ATTESTATION_SHA256, Base64.getUrlEncoder().withoutPadding().encodeToString(d))
        .build();
  }

  /** The jwt-svid authorities of GET /bundle, handed to java-spiffe as the JWKS it expects. */
  static JwtBundle jwtBundleFromServedBundle(TrustDomain td) throws Exception {
    JsonNode bundle = ApiJson.mapper().readTree(client.bundleJson());
    var keys = ApiJson.mapper().createArrayNode();
    bundle.get("keys").forEach(k -> {
      if ("jwt-svid".equals(k.path("use").asText())) {
        keys.add(k);
      }
    });
    var jwks = ApiJson.mapper().createObjectNode().set("keys", keys);
    return JwtBundle.parse(td, ApiJson.mapper().writeValueAsBytes(jwks));
  }

  private static HttpRequest post(String path, String body, String contentType) {
    return HttpRequest.newBuilder(URI.create(issuer.url() + path))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private static void assertBeginRefused(BeginTaskRequest req, int status, String type) throws Exception {
    assertRefusedWithoutSideEffects(post("/v1/tasks", ApiJson.mapper().writeValueAsString(req), "application/json"), status, type);
  }

  private static void assertRefusedWithoutSideEffects(HttpRequest request, int status, String type) throws Exception {
    Snapshot.Counts before = Snapshot.counts();
    HttpResponse<String> resp = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).as(resp.body()).isEqualTo(status);
    JsonNode problem = ApiJson.mapper().readTree(resp.body());
    assertThat(problem.get("type").asText()).isEqualTo("https://taskbound.dev/problems/" + type);
    assertThat(problem.get("status").asInt()).isEqualTo(status);
    assertThat(problem.get("detail").asText()).isNotBlank();
    assertThat(Snapshot.counts()).isEqualTo(before);
  }

  private static void assertProblem(Runnable call, int status, String type) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(IssuerException.class, e -> {
          assertThat(e.status()).isEqualTo(status);
          assertThat(e.problem().type()).isEqualTo("https://taskbound.dev/problems/" + type);
        });
  }

  /** What the store holds for one task, or in total: compared before and after a refused request. */
  record Snapshot(TaskRecord task, List<CredentialRecord> credentials) {
    static Snapshot of(String taskId) {
      return new Snapshot(issuer.store().findTask(taskId).orElseThrow(), new ArrayList<>(issuer.store().credentialsOf(taskId)));
    }

    record Counts(int tasks, int credentials) {}

    static Counts counts() {
      List<TaskRecord> all = issuer.store().listTasks(null, 10_000);
      int creds = all.stream().mapToInt(t -> issuer.store().credentialsOf(t.taskId()).size()).sum();
      return new Counts(all.size(), creds);
    }
  }
}
