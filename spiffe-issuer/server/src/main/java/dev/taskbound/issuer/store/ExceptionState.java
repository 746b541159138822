package dev.taskbound.issuer.store;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Where a standing exception stands at an instant, most pressing first: {@link #REVOKED} (ended by an operator),
 * {@link #EXPIRED} (its expiry has passed and nobody revoked it: the privilege may still exist, unaccounted for),
 * {@link #UNREVIEWED} (nobody reviewed it within the review interval), {@link #EXPIRING} (expires within the
 * warning window) or {@link #ACTIVE}.
 */
public enum ExceptionState {
  ACTIVE,
  EXPIRING,
  EXPIRED,
  UNREVIEWED,
  REVOKED;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The wire value's state; null when unknown. */
  public static ExceptionState fromWire(String value) {
    for (ExceptionState s : values()) {
      if (s.wire().equals(value)) {
        return s;
      }
    }
    return null;
  }

  /** The state of {@code e} at {@code now}: as it stands in the store (its latest review counts). */
  public static ExceptionState of(ExceptionRecord e, Instant now, Duration reviewInterval, Duration expiringWithin) {
    return of(e.revokedAt(), e.expiresAt(), e.lastAttestedAt(), now, reviewInterval, expiringWithin);
  }

  /**
   * The state at {@code at} of an exception revoked at {@code revokedAt} (null: not revoked), expiring at
   * {@code expiresAt}, last reviewed (or created) at {@code lastAttestedAt}; every instant as it was at {@code at}.
   */
  public static ExceptionState of(
      Instant revokedAt, Instant expiresAt, Instant lastAttestedAt, Instant at, Duration reviewInterval,
      Duration expiringWithin) {
    if (revokedAt != null && !at.isBefore(revokedAt)) {
      return REVOKED;
    }
    if (!at.isBefore(expiresAt)) {
      return EXPIRED;
    }
    if (!at.isBefore(lastAttestedAt.plus(reviewInterval))) {
      return UNREVIEWED;
    }
    if (!at.isBefore(expiresAt.minus(expiringWithin))) {
      return EXPIRING;
    }
    return ACTIVE;
  }
}
