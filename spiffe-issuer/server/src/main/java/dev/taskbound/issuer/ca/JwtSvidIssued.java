package dev.taskbound.issuer.ca;

import java.time.Instant;

/** A freshly minted JWT-SVID for one audience. */
public record JwtSvidIssued(String token, String jti, String audience, Instant issuedAt, Instant expiresAt) {
  @Override
  public String toString() {
    return "JwtSvidIssued[jti=" + jti + ", audience=" + audience + ", expiresAt=" + expiresAt + "]";
  }
}
