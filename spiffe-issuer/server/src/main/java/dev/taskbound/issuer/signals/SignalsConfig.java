package dev.taskbound.issuer.signals;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where Shared Signals go ({@code signals:} in the configuration).
 *
 * @param receivers push receivers (RFC 8935); none means the transmitter only publishes its configuration
 * @param maxAttempts sends per SET before it is given up (kept in the store as failed)
 * @param initialBackoff wait before the first retry; it doubles on each further failure (capped at 10 minutes)
 */
public record SignalsConfig(List<Receiver> receivers, int maxAttempts, Duration initialBackoff) {
  public static final int DEFAULT_MAX_ATTEMPTS = 8;
  public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(2);

  public SignalsConfig {
    receivers = List.copyOf(receivers);
    if (maxAttempts < 1) {
      throw new IllegalArgumentException("max_attempts must be at least 1");
    }
    Objects.requireNonNull(initialBackoff, "initial_backoff");
    if (initialBackoff.isNegative() || initialBackoff.isZero()) {
      throw new IllegalArgumentException("initial_backoff must be positive");
    }
    if (receivers.stream().map(Receiver::url).distinct().count() != receivers.size()) {
      throw new IllegalArgumentException("each receiver url may appear once");
    }
  }

  public static SignalsConfig none() {
    return new SignalsConfig(List.of(), DEFAULT_MAX_ATTEMPTS, DEFAULT_INITIAL_BACKOFF);
  }

  /**
   * One push receiver.
   *
   * @param url the receiver's push endpoint (https; http only to loopback)
   * @param audience the {@code aud} of the SETs it gets
   * @param bearerTokenEnv environment variable holding the receiver's bearer token, or null for none
   */
  public record Receiver(URI url, String audience, String bearerTokenEnv) {
    public Receiver {
      Objects.requireNonNull(url, "url");
      if (audience == null || audience.isBlank()) {
        throw new IllegalArgumentException("receiver " + url + " needs an audience");
      }
      String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
      boolean loopback = "127.0.0.1".equals(url.getHost()) || "localhost".equals(url.getHost()) || "[::1]".equals(url.getHost());
      // SETs name workloads and tasks: they go over TLS except to a receiver on this machine.
      if (!scheme.equals("https") && !(scheme.equals("http") && loopback)) {
        throw new IllegalArgumentException("receiver url must be https (http only to loopback): " + url);
      }
    }
  }
}
