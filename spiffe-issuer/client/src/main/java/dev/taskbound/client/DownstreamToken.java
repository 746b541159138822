package dev.taskbound.client;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * A downstream OIDC token from the issuer's token exchange (RFC 8693): one audience (AWS STS, GCP, Vault …), one
 * token, its lifetime. The issuer revokes it with the task; adapters write it to a file and mask it.
 *
 * @param expiresAt from {@code expires_in}, counted from {@code issuedAt} (the time the answer arrived)
 */
public record DownstreamToken(String audience, String token, Instant issuedAt, Instant expiresAt) {
  public DownstreamToken {
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** Half-way through its life: a renewal at or after this time exchanges again, as SVIDs renew at half-life. */
  public Instant refreshAt() {
    return issuedAt.plus(Duration.between(issuedAt, expiresAt).dividedBy(2));
  }

  @Override
  public String toString() {
    return "DownstreamToken[" + audience + ", expiresAt=" + expiresAt + "]";
  }
}
