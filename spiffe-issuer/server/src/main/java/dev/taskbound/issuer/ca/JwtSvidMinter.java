package dev.taskbound.issuer.ca;

import java.time.Instant;
import java.util.Map;

/** Signs JWT-SVIDs with the active JWT authority. */
public interface JwtSvidMinter {
  /**
   * Mints a JWT-SVID: header {@code kid}, {@code alg}, {@code typ: JWT}; claims {@code iss} (issuer URL),
   * {@code sub} (the SPIFFE ID), {@code aud} (one audience), {@code iat}, {@code exp}, {@code jti}, and
   * {@code taskFacts} under the single namespaced claim {@link #TASK_CLAIM}.
   */
  JwtSvidIssued mint(SpiffeId id, String audience, Instant notAfter, Map<String, Object> taskFacts);

  /** The namespaced claim carrying task facts (task id, platform, run …). */
  String TASK_CLAIM = "https://taskbound.dev/task";
}
