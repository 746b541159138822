package dev.taskbound.issuer.store;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Decides when the replay cache and one-time tokens are due for pruning, by the caller's clock: at most once per
 * {@link #EVERY}, and only one caller wins each turn.
 */
final class PruneSchedule {
  static final Duration EVERY = Duration.ofMinutes(1);

  private final AtomicLong nextAtMillis = new AtomicLong(Long.MIN_VALUE);

  boolean due(Instant now) {
    long next = nextAtMillis.get();
    long nowMillis = now.toEpochMilli();
    return nowMillis >= next && nextAtMillis.compareAndSet(next, nowMillis + EVERY.toMillis());
  }
}
