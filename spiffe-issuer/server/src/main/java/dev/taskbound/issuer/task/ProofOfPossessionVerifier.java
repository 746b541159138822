package dev.taskbound.issuer.task;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.api.ProblemType;
import dev.taskbound.api.ProofOfPossession;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

/**
 * Checks that the caller holds the private half of the task key: a compact JWS (ES256 only, whatever the header
 * claims otherwise) signed by that key, addressed to this issuer, fresh, and bound to this request's attestation
 * (see {@link ProofOfPossession}). Replay is bounded by the attestation itself, which is single use.
 */
final class ProofOfPossessionVerifier {
  private static final int MAX_PROOF_LENGTH = 4096;
  private final Clock clock;

  ProofOfPossessionVerifier(Clock clock) {
    this.clock = clock;
  }

  void verify(String proof, ECKey taskKey, String issuerUrl, String attestationToken) {
    verify(proof, taskKey, issuerUrl, ProofOfPossession.CLAIM_ATTESTATION_SHA256, attestationDigest(attestationToken), "this attestation");
  }

  /** As {@link #verify(String, ECKey, String, String)}, the proof bound by claim {@code claim} to {@code bound}. */
  void verify(String proof, ECKey taskKey, String issuerUrl, String claim, String expected, String what) {
    if (proof == null || proof.isBlank()) {
      throw invalid("proof is required");
    }
    if (proof.length() > MAX_PROOF_LENGTH) {
      throw invalid("proof is longer than " + MAX_PROOF_LENGTH + " characters");
    }
    SignedJWT jws;
    JWTClaimsSet claims;
    try {
      jws = SignedJWT.parse(proof);
      claims = jws.getJWTClaimsSet();
    } catch (ParseException e) {
      throw invalid("proof is not a compact JWS with a JSON claims set");
    }
    if (!JWSAlgorithm.ES256.equals(jws.getHeader().getAlgorithm())) {
      throw invalid("proof must be signed with ES256");
    }
    boolean verified;
    try {
      verified = jws.verify(new ECDSAVerifier(taskKey));
    } catch (JOSEException | RuntimeException e) {
      // A provider may throw on odd signature encodings; that is a bad proof, never a 500.
      throw invalid("proof signature cannot be verified with public_key");
    }
    if (!verified) {
      throw invalid("proof signature does not verify with public_key");
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(issuerUrl)) {
      throw invalid("proof aud must be this issuer (" + issuerUrl + ")");
    }
    Date iat = claims.getIssueTime();
    if (iat == null) {
      throw invalid("proof has no iat");
    }
    Instant now = clock.instant();
    Duration skew = ProofOfPossession.MAX_SKEW;
    if (iat.toInstant().isBefore(now.minus(skew)) || iat.toInstant().isAfter(now.plus(skew))) {
      throw invalid("proof iat is outside the allowed window of " + skew.toSeconds() + "s");
    }
    if (claims.getJWTID() == null || claims.getJWTID().isBlank()) {
      throw invalid("proof has no jti");
    }
    Object bound = claims.getClaim(claim);
    if (!(bound instanceof String s) || !MessageDigest.isEqual(
        s.getBytes(StandardCharsets.US_ASCII), expected.getBytes(StandardCharsets.US_ASCII))) {
      throw invalid("proof is not bound to " + what + " (claim " + claim + ")");
    }
  }

  /** base64url (no padding) SHA-256 of the attestation token, as the client computes it. */
  static String attestationDigest(String token) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static TaskException invalid(String detail) {
    return new TaskException(ProblemType.INVALID_PROOF, detail);
  }
}
