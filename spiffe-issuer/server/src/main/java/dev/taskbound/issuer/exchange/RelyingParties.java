package dev.taskbound.issuer.exchange;

import dev.taskbound.issuer.config.IssuerConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relying parties registered for introspection and revocation, each with a secret read once from its
 * environment variable. Only SHA-256 digests are kept, compared in constant time.
 */
public final class RelyingParties {
  private static final Logger LOG = LoggerFactory.getLogger(RelyingParties.class);
  private static final int MIN_SECRET_LENGTH = 16;

  private final Map<String, byte[]> secretDigests;
  private final Map<String, Set<String>> audiences;

  private RelyingParties(Map<String, byte[]> secretDigests, Map<String, Set<String>> audiences) {
    this.secretDigests = Map.copyOf(secretDigests);
    this.audiences = Map.copyOf(audiences);
  }

  /** Reads each client's secret from {@code env}; a missing or short secret is a configuration error. */
  public static RelyingParties fromConfig(IssuerConfig.Introspection config, Function<String, String> env) {
    Map<String, byte[]> digests = new HashMap<>();
    Map<String, Set<String>> audiences = new HashMap<>();
    for (IssuerConfig.Introspection.Client client : config.clients()) {
      String secret = env.apply(client.secretEnv());
      if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
        throw new IllegalArgumentException(
            "introspection client " + client.id() + ": environment variable " + client.secretEnv()
                + " must hold a secret of at least " + MIN_SECRET_LENGTH + " characters");
      }
      digests.put(client.id(), sha256(secret));
      audiences.put(client.id(), Set.copyOf(client.audiences()));
      if (client.audiences().isEmpty()) {
        LOG.warn("introspection client {} has no audiences: it sees and revokes no token; list the audiences of the "
            + "tokens it verifies under introspection.clients[].audiences", client.id());
      }
    }
    LOG.info("introspection clients registered: {}", audiences);
    return new RelyingParties(digests, audiences);
  }

  /** True when {@code clientId} is registered and {@code secret} is its secret. */
  boolean authenticate(String clientId, String secret) {
    byte[] expected = secretDigests.get(clientId);
    // Hash even for an unknown client so the answer takes as long either way.
    byte[] presented = sha256(secret == null ? "" : secret);
    return expected != null && MessageDigest.isEqual(expected, presented);
  }

  /** The audiences whose tokens {@code clientId} may see and revoke; empty for an unknown client. */
  Set<String> audiencesOf(String clientId) {
    return audiences.getOrDefault(clientId, Set.of());
  }

  static byte[] sha256(String text) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
