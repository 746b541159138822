package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/** One JWT-SVID handed to a task, for one audience. */
public record JwtSvidCredential(
    String audience, String token, @JsonProperty("expires_at") Instant expiresAt) {
  @Override
  public String toString() {
    return "JwtSvidCredential[audience=" + audience + ", expiresAt=" + expiresAt + "]";
  }
}
