package dev.taskbound.issuer.task;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A task's control token: {@code tbct_} + the task id's 26 base32 characters + {@code _} + 256 random bits in
 * base64url. Only its SHA-256 is stored. The task id inside lets a bearer that is nothing but the token (RFC 7009
 * revocation) be checked against one task by primary key, so the store keeps no index on the digests (a random page
 * of it written per begin). The id is not a secret; the random part is.
 */
public final class ControlTokens {
  /** What every control token starts with. */
  public static final String PREFIX = "tbct_";

  private static final Pattern FORM = Pattern.compile("tbct_([a-z2-7]{26})_[A-Za-z0-9_-]{43}");

  private ControlTokens() {}

  /** A new control token for {@code taskId} ({@code tsk_} + 26 base32 characters). */
  static String create(String taskId, SecureRandom random) {
    if (!TaskLifecycle.validTaskId(taskId)) {
      throw new IllegalArgumentException("not a task id");
    }
    byte[] secret = new byte[32];
    random.nextBytes(secret);
    return PREFIX + taskId.substring(4) + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  /**
   * The task a token names, if it has a control token's form. Says nothing about whether the token is that task's:
   * compare digests with {@link #matches}. Tokens made before the task id was put in them name none.
   */
  public static Optional<String> taskIdOf(String token) {
    if (token == null) {
      return Optional.empty();
    }
    Matcher m = FORM.matcher(token);
    return m.matches() ? Optional.of("tsk_" + m.group(1)) : Optional.empty();
  }

  /** Whether {@code token} is the one whose SHA-256 (lower-case hex) was stored, compared in constant time. */
  public static boolean matches(String token, String storedSha256Hex) {
    byte[] presented = sha256Hex(token).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(presented, storedSha256Hex.getBytes(StandardCharsets.US_ASCII));
  }

  /** The digest the store keeps. */
  public static String sha256Hex(String token) {
    return TaskLifecycle.sha256Hex(token);
  }
}
