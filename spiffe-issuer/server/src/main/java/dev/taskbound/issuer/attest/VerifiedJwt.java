package dev.taskbound.issuer.attest;

import java.util.Map;

/**
 * A JWT that passed every check of its {@link JwtRules}: its claims as JSON values (times as epoch seconds) and
 * the SHA-256 (hex) of the compact token, for evidence.
 */
public record VerifiedJwt(String issuer, String subject, String jti, Map<String, Object> claims, String sha256) {
  public VerifiedJwt {
    claims = Map.copyOf(claims);
  }
}
