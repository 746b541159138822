package dev.taskbound.issuer.attest;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A remote key set kept in memory. It is fetched when first needed, again when older than {@code maxAge}, and
 * again when a token names an unknown kid — but never more often than once per {@code minRefreshInterval}, so a
 * flood of tokens with made-up kids costs the publisher at most one request per interval. When a refresh fails
 * the keys already known keep working.
 */
public final class CachedJwks implements JwksSource {
  public static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(15);
  public static final Duration DEFAULT_MIN_REFRESH_INTERVAL = Duration.ofSeconds(30);

  private final Supplier<JWKSet> fetch;
  private final Clock clock;
  private final Duration maxAge;
  private final Duration minRefreshInterval;

  private JWKSet keys;
  private Instant fetchedAt;
  private Instant lastAttemptAt;

  /**
   * @param fetch loads the current public keys; throws {@link AttestationException} when it cannot
   */
  public CachedJwks(Supplier<JWKSet> fetch, Clock clock, Duration maxAge, Duration minRefreshInterval) {
    this.fetch = Objects.requireNonNull(fetch, "fetch");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
    this.minRefreshInterval = Objects.requireNonNull(minRefreshInterval, "minRefreshInterval");
  }

  public CachedJwks(Supplier<JWKSet> fetch, Clock clock) {
    this(fetch, clock, DEFAULT_MAX_AGE, DEFAULT_MIN_REFRESH_INTERVAL);
  }

  @Override
  public synchronized Optional<JWK> keyFor(String kid) {
    Instant now = clock.instant();
    if (keys == null || now.isAfter(fetchedAt.plus(maxAge))) {
      refresh(now, keys == null);
    }
    Optional<JWK> key = find(kid);
    if (key.isEmpty() && refreshAllowed(now)) {
      refresh(now, false);
      key = find(kid);
    }
    return key;
  }

  private Optional<JWK> find(String kid) {
    return keys == null ? Optional.empty() : Optional.ofNullable(keys.getKeyByKeyId(kid));
  }

  private boolean refreshAllowed(Instant now) {
    return lastAttemptAt == null || !now.isBefore(lastAttemptAt.plus(minRefreshInterval));
  }

  /** Fetches the keys; a failure is fatal only when no keys are known yet (or, rate-limited, not even tried). */
  private void refresh(Instant now, boolean mustSucceed) {
    if (!refreshAllowed(now)) {
      if (keys == null) {
        throw new AttestationException("signing keys are unavailable (fetch failed recently; retry later)");
      }
      return;
    }
    lastAttemptAt = now;
    try {
      keys = fetch.get().toPublicJWKSet();
      fetchedAt = now;
    } catch (AttestationException e) {
      if (mustSucceed || keys == null) {
        throw e;
      }
    }
  }
}
