package dev.taskbound.issuer.store;

import java.time.Instant;

/**
 * One credential issued to a task. {@code credentialId} is the X.509 serial in lower-case hex or the JWT
 * {@code jti}; {@code audience} is null for X.509-SVIDs. {@code revokedAt} is null until revoked.
 */
public record CredentialRecord(
    String taskId,
    CredentialKind kind,
    String credentialId,
    String audience,
    Instant notBefore,
    Instant expiresAt,
    Instant revokedAt) {}
