package dev.taskbound.issuer.store;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Records with every field set, at millisecond precision (what the store keeps). */
final class Fixtures {
  static final Instant T0 = Instant.parse("2025-03-01T10:00:00.123Z");

  private Fixtures() {}

  static TaskRecord activeTask(String taskId, Instant createdAt) {
    return new TaskRecord(
        taskId,
        TaskState.ACTIVE,
        "spiffe://example.org/ci/github/acme/app/run/42/attempt/1/job/" + taskId,
        "github",
        Map.of("repository", "acme/app", "run_id", "42", "ref", "refs/heads/main"),
        "deploy-main",
        "sha256:policy-v7",
        "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"x-" + taskId + "\",\"y\":\"y\"}",
        "thumb-" + taskId,
        "ctl-sha-" + taskId,
        List.of("sts.amazonaws.com", "vault"),
        createdAt,
        createdAt.plusSeconds(3600),
        null,
        null,
        null,
        null);
  }

  static CredentialRecord x509(String taskId, String serial, Instant notBefore) {
    return new CredentialRecord(
        taskId, CredentialKind.X509_SVID, serial, null, notBefore, notBefore.plusSeconds(600), null);
  }

  static CredentialRecord jwt(String taskId, String jti, String audience, Instant notBefore) {
    return new CredentialRecord(
        taskId, CredentialKind.JWT_SVID, jti, audience, notBefore, notBefore.plusSeconds(300), null);
  }

  static BundleKeyRecord jwtKey(String kid, KeyState state) {
    return new BundleKeyRecord(
        kid,
        "jwt-svid",
        "ES256",
        state,
        "{\"kty\":\"EC\",\"kid\":\"" + kid + "\"}",
        T0,
        state == KeyState.PREPARED ? null : T0.plusSeconds(60),
        state == KeyState.RETIRED ? T0.plusSeconds(120) : null,
        T0.plusSeconds(86_400),
        T0.plusSeconds(90_000));
  }
}
