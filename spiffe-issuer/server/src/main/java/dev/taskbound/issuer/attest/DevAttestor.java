package dev.taskbound.issuer.attest;

import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.AttestationUse;
import dev.taskbound.issuer.store.Store;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * Dev-only attestation: one-time tokens minted by {@code serve --dev} or {@code taskbound-issuer dev-token},
 * consumed on first use (like SPIRE join tokens). Only the token's SHA-256 is stored. The issuer registers this
 * attestor in dev mode only, so a dev token is refused everywhere else.
 */
public final class DevAttestor implements Attestor {
  public static final String TYPE = "dev";
  public static final String TOKEN_PREFIX = "tbdev_";
  static final String PURPOSE = "dev-attestation";

  private final Store store;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();

  public DevAttestor(Store store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  @Override
  public String type() {
    return TYPE;
  }

  /** Mints a one-time dev token valid for {@code lifetime}; the caller shows it to the developer once. */
  public String mintToken(Duration lifetime) {
    byte[] bytes = new byte[24];
    random.nextBytes(bytes);
    String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    store.insertOneTimeToken(sha256Hex(token), PURPOSE, clock.instant().plus(lifetime));
    return token;
  }

  @Override
  public AttestedIdentity attest(Attestation attestation) {
    String token = attestation.token();
    if (token == null || !token.startsWith(TOKEN_PREFIX) || token.length() > 128) {
      throw new AttestationException("dev attestation token is malformed");
    }
    String digest = sha256Hex(token);
    // Spent (and an unknown or expired token found out) when the task is begun, in the same transaction.
    // The token id names the dev "run" in the SPIFFE ID without revealing the token.
    String tokenId = digest.substring(0, 16);
    return new AttestedIdentity(
        TYPE, Map.of("platform", TYPE, "token_id", tokenId), Map.of(), digest, new AttestationUse.OneTimeToken(digest, PURPOSE));
  }

  static String sha256Hex(String text) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
