package dev.taskbound.issuer.attest;

import dev.taskbound.issuer.store.AttestationUse;
import java.util.Map;

/**
 * A JWT that passed every check of its {@link JwtRules}: its claims as JSON values (times as epoch seconds), the
 * SHA-256 (hex) of the compact token, for evidence, and its single use ({@code (iss, jti)} until {@code exp} plus
 * skew) for the caller to spend once the token is actually used.
 */
public record VerifiedJwt(
    String issuer, String subject, String jti, Map<String, Object> claims, String sha256, AttestationUse.Jti use) {
  public VerifiedJwt {
    claims = Map.copyOf(claims);
  }
}
