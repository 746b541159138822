package dev.taskbound.issuer.ca;

import java.util.Objects;

/** The JWT-SVID signing key in use: its bundle {@code kid} and the key, whose algorithm fixes the JWS {@code alg}. */
public record JwtAuthority(String kid, SigningKey key) {
  public JwtAuthority {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(key, "key");
  }
}
