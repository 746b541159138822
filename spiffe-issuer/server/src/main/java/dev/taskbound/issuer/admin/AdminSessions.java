package dev.taskbound.issuer.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dashboard sessions: a random bearer token ({@value #PREFIX}…) standing for an operator who logged in through dev
 * mode's link or the IdP, until it expires. Kept in this process's memory only, as SHA-256 digests of the tokens: a
 * restart logs everyone out, and a session is known to the replica that opened it only.
 */
public final class AdminSessions {
  public static final String PREFIX = "tbadm_";
  private static final SecureRandom RANDOM = new SecureRandom();
  /** Sessions kept at most; expired ones are dropped first, so only a flood of logins reaches it. */
  private static final int MAX_SESSIONS = 10_000;

  private final Clock clock;
  private final Map<String, Held> sessions = new ConcurrentHashMap<>();

  public AdminSessions(Clock clock) {
    this.clock = clock;
  }

  private record Held(Operator operator, Instant expiresAt) {}

  /** A session's bearer token and when it ends. */
  public record Session(String token, Instant expiresAt) {}

  /** Opens a session for {@code operator} lasting {@code lifetime}. */
  public Session open(Operator operator, Duration lifetime) {
    Instant now = clock.instant();
    if (sessions.size() >= MAX_SESSIONS) {
      sessions.values().removeIf(h -> !now.isBefore(h.expiresAt()));
    }
    if (sessions.size() >= MAX_SESSIONS) {
      throw AdminAuthenticator.unauthenticated("too many dashboard sessions are open; retry later");
    }
    String token = random(PREFIX);
    Instant expiresAt = now.plus(lifetime);
    sessions.put(sha256(token), new Held(operator, expiresAt));
    return new Session(token, expiresAt);
  }

  /** The operator a session token stands for; empty when unknown or expired. */
  public Optional<Operator> operator(String token) {
    Held held = sessions.get(sha256(token));
    if (held == null || !clock.instant().isBefore(held.expiresAt())) {
      return Optional.empty();
    }
    return Optional.of(held.operator());
  }

  static String random(String prefix) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
