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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Dev mode's operator login: a one-time code, printed on the issuer's terminal inside a login link, is exchanged
 * once for a session token with the operator role. Both live in memory only, kept as SHA-256 digests; a restart
 * forgets them. Never enabled outside dev mode.
 */
public final class DevLogin {
  public static final String SESSION_PREFIX = "tbadm_";
  public static final Duration SESSION_LIFETIME = Duration.ofHours(8);
  private static final Duration CODE_LIFETIME = Duration.ofHours(1);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Clock clock;
  private final Map<String, Instant> codes = new ConcurrentHashMap<>();
  private final Map<String, Instant> sessions = new ConcurrentHashMap<>();

  public DevLogin(Clock clock) {
    this.clock = clock;
  }

  /** A new single-use login code, valid for an hour. */
  public String newCode() {
    String code = random("tblogin_");
    codes.put(sha256(code), clock.instant().plus(CODE_LIFETIME));
    return code;
  }

  /** Spends {@code code} for a session token; empty when the code is unknown, spent or expired. */
  public Optional<Session> login(String code) {
    if (code == null) {
      return Optional.empty();
    }
    Instant expires = codes.remove(sha256(code));
    Instant now = clock.instant();
    if (expires == null || !now.isBefore(expires)) {
      return Optional.empty();
    }
    String token = random(SESSION_PREFIX);
    Instant sessionExpires = now.plus(SESSION_LIFETIME);
    sessions.put(sha256(token), sessionExpires);
    return Optional.of(new Session(token, sessionExpires));
  }

  /** The operator a session token stands for; empty when unknown or expired. */
  public Optional<Operator> operator(String token) {
    Instant expires = sessions.get(sha256(token));
    if (expires == null || !clock.instant().isBefore(expires)) {
      return Optional.empty();
    }
    return Optional.of(new Operator("dev", "dev-operator", Set.of(Role.OPERATOR, Role.APPROVER)));
  }

  public record Session(String token, Instant expiresAt) {}

  private static String random(String prefix) {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
