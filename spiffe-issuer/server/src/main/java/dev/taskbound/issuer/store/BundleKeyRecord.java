package dev.taskbound.issuer.store;

import java.time.Instant;

/**
 * The public half of one signing authority. {@code use} is {@code x509-svid} (then {@code publicMaterial} is the
 * PEM certificate) or {@code jwt-svid} (then it is the public JWK as JSON, with {@code kid}).
 * {@code state} walks prepared → active → retired; retired authorities stay in the bundle until
 * {@code removeAfter} so tokens they signed still verify.
 */
public record BundleKeyRecord(
    String kid,
    String use,
    String alg,
    KeyState state,
    String publicMaterial,
    Instant createdAt,
    Instant activatedAt,
    Instant retiredAt,
    Instant notAfter,
    Instant removeAfter) {}
