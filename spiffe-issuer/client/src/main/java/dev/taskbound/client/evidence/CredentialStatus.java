package dev.taskbound.client.evidence;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the log says about one credential of a task: when it was valid, when (if) it was revoked, and its
 * residual exposure — how long it could still be used offline after revocation (or after the task ended, when it
 * was never revoked). Null exposure: the task has not ended and the credential is not revoked.
 */
public record CredentialStatus(
    String kind,
    String credentialId,
    String spiffeId,
    String audience,
    long notBefore,
    long expiresAt,
    Long revokedAt,
    Long residualExposureSeconds) {

  /**
   * The one rule for residual exposure, wherever it is shown (log entries, bundles, the answer to end): {@code exp}
   * minus the revocation (or end) time, both as whole epoch seconds (truncated), at least 0.
   */
  public static long residualExposureSeconds(long expiresAtEpochSecond, long closedAtEpochSecond) {
    return Math.max(0, expiresAtEpochSecond - closedAtEpochSecond);
  }

  /** True when the credential was revoked or had expired by {@code endedAt}. */
  public boolean closedBy(long endedAt) {
    return revokedAt != null || expiresAt <= endedAt;
  }

  ObjectNode toJson() {
    ObjectNode o = EvidenceJson.object();
    o.put(EvidenceFormat.KIND, kind);
    o.put(EvidenceFormat.CREDENTIAL_ID, credentialId);
    o.put(EvidenceFormat.SPIFFE_ID, spiffeId);
    o.put(EvidenceFormat.AUDIENCE, audience);
    o.put(EvidenceFormat.NOT_BEFORE, notBefore);
    o.put(EvidenceFormat.EXPIRES_AT, expiresAt);
    o.put(EvidenceFormat.REVOKED_AT, revokedAt);
    o.put(EvidenceFormat.RESIDUAL_EXPOSURE_SECONDS, residualExposureSeconds);
    return o;
  }
}
