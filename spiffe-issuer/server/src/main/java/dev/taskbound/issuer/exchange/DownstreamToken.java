package dev.taskbound.issuer.exchange;

import java.time.Instant;

/** A freshly minted downstream token. {@link #toString()} leaves the token out so it never reaches a log. */
public record DownstreamToken(String token, String jti, String audience, Instant issuedAt, Instant expiresAt) {
  @Override
  public String toString() {
    return "DownstreamToken[jti=" + jti + ", audience=" + audience + ", expiresAt=" + expiresAt + "]";
  }
}
