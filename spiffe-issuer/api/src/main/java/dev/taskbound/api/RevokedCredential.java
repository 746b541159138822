package dev.taskbound.api;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Instant;

/**
 * A credential taken back at task end. {@code id} is an X.509 serial (hex) or a JWT {@code jti}; residual exposure
 * is how long a verifier that checks nothing but {@code exp} could still accept it.
 */
public record RevokedCredential(
    String kind,
    String id,
    @JsonProperty("expires_at") Instant expiresAt,
    @JsonProperty("revoked_at") Instant revokedAt,
    @JsonProperty("residual_exposure_seconds") long residualExposureSeconds) {}
