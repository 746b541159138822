package dev.taskbound.issuer.store;

import java.time.Instant;
import java.util.Objects;

/**
 * A standing-privilege exception as stored: the standing identity or credential ({@code identity}, described in the
 * owner's words), what it may do ({@code scope}), who answers for it, why it exists, and until when. Review and
 * revocation fields are null until they happen. {@code version} counts changes (1 when added).
 * {@code expiredSignalledAt} and {@code unreviewedSignalledAt} say when the Shared Signals event for that condition
 * was queued (each once; a review clears the latter).
 */
public record ExceptionRecord(
    String exceptionId,
    String identity,
    String scope,
    String owner,
    String reason,
    Instant createdAt,
    Actor createdBy,
    Instant expiresAt,
    Instant lastReviewedAt,
    Actor lastReviewedBy,
    String lastReviewNote,
    Instant revokedAt,
    Actor revokedBy,
    String revokeReason,
    int version,
    Instant expiredSignalledAt,
    Instant unreviewedSignalledAt) {

  /** Who changed the register: the IdP that vouched for them ({@code cli} for an operator command) and their name. */
  public record Actor(String issuer, String name) {
    public Actor {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(name, "name");
    }
  }

  public ExceptionRecord {
    Objects.requireNonNull(exceptionId, "exceptionId");
    Objects.requireNonNull(createdAt, "createdAt");
    Objects.requireNonNull(createdBy, "createdBy");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** A new exception, version 1, never reviewed, revoked or signalled. */
  public static ExceptionRecord added(
      String exceptionId, String identity, String scope, String owner, String reason, Instant createdAt, Actor createdBy,
      Instant expiresAt) {
    return new ExceptionRecord(
        exceptionId, identity, scope, owner, reason, createdAt, createdBy, expiresAt, null, null, null, null, null, null,
        1, null, null);
  }

  public boolean revoked() {
    return revokedAt != null;
  }

  /** When it was last looked at: its last review, else its creation. */
  public Instant lastAttestedAt() {
    return lastReviewedAt != null ? lastReviewedAt : createdAt;
  }
}
