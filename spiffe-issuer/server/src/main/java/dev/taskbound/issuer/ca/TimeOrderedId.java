package dev.taskbound.issuer.ca;

import java.security.SecureRandom;

/**
 * The 16 bytes behind an id the store indexes: the time in milliseconds (48 bits, big-endian), then 80 bits from a
 * CSPRNG. Ids made close in time share a prefix, so a batch of writes lands on a few pages at the end of each index
 * instead of one random page per row (each a whole page in SQLite's log or PostgreSQL's WAL). 80 random bits keep
 * ids made in the same millisecond apart and unguessable; the first byte stays below 0x80 until the year 10889, so an
 * X.509 serial made from them is positive.
 */
public final class TimeOrderedId {
  /** Bytes in an id. */
  public static final int LENGTH = 16;

  private TimeOrderedId() {}

  /** A new id for {@code millis} (milliseconds since the epoch) with 80 bits from {@code random}. */
  public static byte[] next(long millis, SecureRandom random) {
    byte[] bytes = new byte[LENGTH];
    random.nextBytes(bytes);
    long t = millis;
    for (int i = 5; i >= 0; i--) {
      bytes[i] = (byte) t;
      t >>>= 8;
    }
    return bytes;
  }

  /** The milliseconds an id was made at. */
  public static long millis(byte[] id) {
    long t = 0;
    for (int i = 0; i < 6; i++) {
      t = (t << 8) | (id[i] & 0xff);
    }
    return t;
  }
}
