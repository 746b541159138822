package dev.taskbound.issuer.exchange;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.taskbound.issuer.ca.JwtSvidMinter;
import dev.taskbound.issuer.store.CredentialKind;
import java.text.ParseException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses and verifies a JWT we issued — a JWT-SVID or a downstream token — in one call: our key by {@code kid},
 * signature, {@code iss}. Expiry, audience, revocation and task state are the caller's rules and checked by
 * {@link #live}. Never says why a token failed beyond "not ours", so nothing learns from probing.
 */
final class OwnTokens {
  static final int MAX_TOKEN_LENGTH = 16 * 1024;

  /** A verified token of ours: which kind, its claims, and the task it belongs to. */
  record Verified(CredentialKind kind, JWTClaimsSet claims, String taskId) {
    String jti() {
      return claims.getJWTID();
    }

    String subject() {
      return claims.getSubject();
    }

    List<String> audience() {
      return claims.getAudience();
    }

    Instant expiresAt() {
      return claims.getExpirationTime().toInstant();
    }

    Instant issuedAt() {
      return claims.getIssueTime() == null ? null : claims.getIssueTime().toInstant();
    }
  }

  private final OwnKeys keys;
  private final String issuerUrl;
  private final RevocationState revocations;

  OwnTokens(OwnKeys keys, String issuerUrl, RevocationState revocations) {
    this.keys = keys;
    this.issuerUrl = issuerUrl;
    this.revocations = revocations;
  }

  /** The token if it is a well-formed JWT signed by one of our keys with our {@code iss}; expiry not checked. */
  Optional<Verified> verify(String token) {
    if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
      return Optional.empty();
    }
    try {
      SignedJWT jwt = SignedJWT.parse(token);
      Optional<OwnKeys.Verifier> verifier = keys.verifierFor(jwt.getHeader().getKeyID(), jwt.getHeader().getAlgorithm());
      if (verifier.isEmpty() || !jwt.verify(verifier.get().verifier())) {
        return Optional.empty();
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (!issuerUrl.equals(claims.getIssuer())
          || claims.getSubject() == null
          || claims.getJWTID() == null
          || claims.getExpirationTime() == null
          || claims.getAudience() == null
          || claims.getAudience().isEmpty()) {
        return Optional.empty();
      }
      Object facts = claims.getClaim(JwtSvidMinter.TASK_CLAIM);
      if (!(facts instanceof Map<?, ?> map) || !(map.get("task_id") instanceof String taskId)) {
        return Optional.empty();
      }
      CredentialKind kind =
          verifier.get().signer() == OwnKeys.Signer.DOWNSTREAM ? CredentialKind.DOWNSTREAM_TOKEN : CredentialKind.JWT_SVID;
      return Optional.of(new Verified(kind, claims, taskId));
    } catch (ParseException | JOSEException | RuntimeException e) {
      // Includes what a crypto provider throws on a mangled signature: not ours, never a 500.
      return Optional.empty();
    }
  }

  /**
   * The task of a verified token if the token is live at {@code now}: unexpired, not revoked, its task active and
   * within its lifetime, and its subject the task's SPIFFE ID.
   */
  Optional<TaskSnapshot> live(Verified token, Instant now) {
    if (!now.isBefore(token.expiresAt())
        || revocations.isRevoked(token.kind(), token.jti())
        || revocations.isEnded(token.taskId())) {
      return Optional.empty();
    }
    return revocations
        .task(token.taskId())
        .filter(t -> t.activeAt(now))
        .filter(t -> t.task().spiffeId().equals(token.subject()));
  }

  String issuerUrl() {
    return issuerUrl;
  }
}
