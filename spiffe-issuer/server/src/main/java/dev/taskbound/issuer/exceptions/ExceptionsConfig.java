package dev.taskbound.issuer.exceptions;

import java.time.Duration;
import java.util.Objects;

/**
 * The rules of the standing-privilege exception register ({@code exceptions:} in the configuration).
 *
 * @param maxLifetime the furthest an expiry may lie ahead when an exception is added or its expiry moved
 * @param reviewInterval an exception nobody reviewed (or added) within this long is {@code unreviewed}
 * @param expiringWithin an exception whose expiry is this close is {@code expiring}
 */
public record ExceptionsConfig(Duration maxLifetime, Duration reviewInterval, Duration expiringWithin) {
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofDays(90);
  public static final Duration DEFAULT_REVIEW_INTERVAL = Duration.ofDays(30);
  public static final Duration DEFAULT_EXPIRING_WITHIN = Duration.ofDays(14);

  public ExceptionsConfig {
    Objects.requireNonNull(maxLifetime, "max_lifetime");
    Objects.requireNonNull(reviewInterval, "review_interval");
    Objects.requireNonNull(expiringWithin, "expiring_within");
    for (Duration d : new Duration[] {maxLifetime, reviewInterval, expiringWithin}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("exceptions: durations must be positive");
      }
    }
    if (maxLifetime.compareTo(Duration.ofDays(3650)) > 0) {
      throw new IllegalArgumentException("exceptions.max_lifetime must be at most 3650d: an exception is not forever");
    }
  }

  public static ExceptionsConfig defaults() {
    return new ExceptionsConfig(DEFAULT_MAX_LIFETIME, DEFAULT_REVIEW_INTERVAL, DEFAULT_EXPIRING_WITHIN);
  }
}
