package dev.taskbound.api;

import java.time.Duration;

/**
 * The proof of possession a client sends with {@code POST /v1/tasks}: a compact JWS, {@code alg} ES256, signed by
 * the task's private key, whose claims are:
 *
 * <ul>
 *   <li>{@code aud}: the issuer's base URL (as in its discovery document's {@code issuer})</li>
 *   <li>{@code iat}: now, within {@link #MAX_SKEW} of the issuer's clock</li>
 *   <li>{@code jti}: random, single use</li>
 *   <li>{@code attestation_sha256}: base64url SHA-256 of the attestation token, binding the key to this
 *       attestation so a proof cannot be lifted onto another request</li>
 * </ul>
 *
 * <p>Collecting the task of an approved request ({@code POST /v1/approvals/{id}/task}) takes a fresh proof by the
 * same key with {@code approval_id} (the request's id) in place of {@code attestation_sha256}.
 */
public final class ProofOfPossession {
  public static final String JWS_TYPE = "taskbound-pop+jwt";
  public static final String CLAIM_ATTESTATION_SHA256 = "attestation_sha256";
  public static final String CLAIM_APPROVAL_ID = "approval_id";
  public static final Duration MAX_SKEW = Duration.ofMinutes(2);

  private ProofOfPossession() {}
}
