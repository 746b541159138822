package dev.taskbound.client;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff between retries: {@code initial}, doubling, capped at {@code max}.
 *
 * @param initial delay before the first retry
 * @param max the longest delay between two attempts
 */
public record Backoff(Duration initial, Duration max) {
  public Backoff {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
      throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + ", " + max);
    }
  }

  /** The delay after failed attempt number {@code attempt} (1 for the first failure). */
  public Duration delayAfter(int attempt) {
    Duration d = initial;
    for (int i = 1; i < attempt && d.compareTo(max) < 0; i++) {
      d = d.multipliedBy(2);
    }
    return d.compareTo(max) > 0 ? max : d;
  }
}
