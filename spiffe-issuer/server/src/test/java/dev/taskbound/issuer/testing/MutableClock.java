package dev.taskbound.issuer.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock tests move by hand; nothing moves it otherwise. */
public final class MutableClock extends Clock {
  private volatile Instant now;

  /** Starts at real time: clients such as java-spiffe check {@code exp} against the real clock. */
  public MutableClock() {
    this(Instant.now());
  }

  public MutableClock(Instant start) {
    this.now = start;
  }

  public Instant advance(Duration by) {
    now = now.plus(by);
    return now;
  }

  public Instant set(Instant instant) {
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
