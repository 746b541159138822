package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.store.BundleKeyRecord;
import java.time.Duration;
import java.time.Instant;

/** JWT-SVID signing keys: published as JWKs; kept after retirement for the longest JWT-SVID lifetime. */
final class JwtKeyKind implements AuthorityRotation.Kind<JwtAuthority> {
  /** Verifiers commonly allow this much clock skew past {@code exp}. */
  static final Duration VERIFIER_LEEWAY = Duration.ofMinutes(1);

  private final KeyAlgorithm algorithm;
  private final Duration maxTokenLifetime;

  JwtKeyKind(KeyAlgorithm algorithm, Duration maxTokenLifetime) {
    this.algorithm = algorithm;
    this.maxTokenLifetime = maxTokenLifetime;
  }

  @Override
  public String use() {
    return BundleService.USE_JWT;
  }

  @Override
  public KeyAlgorithm algorithm() {
    return algorithm;
  }

  @Override
  public AuthorityRotation.Published publish(String kid, SigningKey key, Instant now) {
    return new AuthorityRotation.Published(BundleService.jwtJwk(key, kid).toJSONString(), null);
  }

  @Override
  public JwtAuthority authority(BundleKeyRecord record, SigningKey key) {
    return new JwtAuthority(record.kid(), key);
  }

  @Override
  public Instant removeAfter(BundleKeyRecord record, Instant retiredAt) {
    // NimbusJwtSvidMinter caps every token at maxTokenLifetime, so nothing this key signed outlives this.
    return retiredAt.plus(maxTokenLifetime).plus(VERIFIER_LEEWAY);
  }
}
