package dev.taskbound.issuer.ca;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand. Starts at real time: java-spiffe checks {@code exp} against the real clock. */
final class MutableClock extends Clock {
  private volatile Instant now = Instant.now();

  Instant advance(Duration by) {
    now = now.plus(by);
    return now;
  }

  Instant set(Instant instant) {
    now = instant;
    return instant;
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }
}
