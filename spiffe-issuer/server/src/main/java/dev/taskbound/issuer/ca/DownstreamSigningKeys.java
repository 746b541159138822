package dev.taskbound.issuer.ca;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import dev.taskbound.issuer.config.IssuerConfig;
import dev.taskbound.issuer.store.BundleKeyRecord;
import dev.taskbound.issuer.store.Store;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The keys that sign downstream tokens (the issuer as an OIDC provider), one rotation per algorithm in use, kept
 * apart from the SPIFFE bundle. RS256 always exists because OpenID Connect Discovery requires it; ES256 when it is
 * the default or some audience asks for it. {@link #jwks()} holds only prepared, active and not-yet-removable
 * retired keys, so it stays small (AWS rejects large JWKS documents).
 */
public final class DownstreamSigningKeys {
  private final Map<KeyAlgorithm, AuthorityRotation<JwtAuthority>> rotations;
  private final Store store;
  private volatile JWKSet jwks = new JWKSet();

  private DownstreamSigningKeys(Map<KeyAlgorithm, AuthorityRotation<JwtAuthority>> rotations, Store store) {
    this.rotations = rotations;
    this.store = store;
  }

  /** Builds the rotations the configuration needs and brings them up to date for {@code now}. */
  public static DownstreamSigningKeys create(IssuerConfig config, Store store, Instant now) {
    return create(config, store, now, System::getenv);
  }

  /** As {@link #create(IssuerConfig, Store, Instant)}, reading the key encryption secret (if any) through {@code env}. */
  public static DownstreamSigningKeys create(
      IssuerConfig config, Store store, Instant now, java.util.function.Function<String, String> env) {
    CryptoProviders.install();
    KeyManager keys = KeyManagers.forConfig(config, store, env, java.time.Clock.systemUTC());
    IssuerConfig.Exchange exchange = config.exchange();
    Set<KeyAlgorithm> algorithms = new LinkedHashSet<>();
    algorithms.add(KeyAlgorithm.RSA_2048);
    algorithms.add(KeyAlgorithm.forJws(exchange.defaultAlgorithm()));
    exchange.audienceAlgorithms().values().forEach(a -> algorithms.add(KeyAlgorithm.forJws(a)));
    AuthorityRotation.KeyRecords records = new AuthorityRotation.KeyRecords() {
      @Override
      public List<BundleKeyRecord> all() {
        return store.downstreamKeys();
      }

      @Override
      public void put(BundleKeyRecord record) {
        store.putDownstreamKey(record);
      }

      @Override
      public void remove(String kid) {
        store.removeDownstreamKey(kid);
      }

      @Override
      public <T> T exclusively(java.util.function.Supplier<T> work) {
        return store.exclusively(AuthorityRotation.LOCK, work);
      }
    };
    Map<KeyAlgorithm, AuthorityRotation<JwtAuthority>> rotations = new EnumMap<>(KeyAlgorithm.class);
    for (KeyAlgorithm algorithm : algorithms) {
      rotations.put(
          algorithm,
          new AuthorityRotation<>(
              new DownstreamKeyKind(algorithm, exchange.ttl()), records, keys, exchange.rotateAfter(),
              exchange.prepareBefore()));
    }
    DownstreamSigningKeys signing = new DownstreamSigningKeys(Map.copyOf(rotations), store);
    signing.rotate(now);
    return signing;
  }

  /** The key signing now for {@code algorithm}; the configuration decides which algorithms exist. */
  public JwtAuthority active(KeyAlgorithm algorithm) {
    AuthorityRotation<JwtAuthority> rotation = rotations.get(algorithm);
    if (rotation == null) {
      throw new IllegalArgumentException("no downstream signing key for " + algorithm.jwsAlgorithm());
    }
    return rotation.active();
  }

  /** JWS algorithms with a key, RS256 first. */
  public List<String> algorithms() {
    return rotations.keySet().stream()
        .sorted(Comparator.comparing(a -> a == KeyAlgorithm.RSA_2048 ? 0 : 1))
        .map(KeyAlgorithm::jwsAlgorithm)
        .toList();
  }

  /** The public keys relying parties verify downstream tokens with ({@code GET /jwks}). */
  public JWKSet jwks() {
    return jwks;
  }

  /** Rotates every algorithm's keys and reloads the published set; cheap when nothing is due. */
  public synchronized void rotate(Instant now) {
    for (AuthorityRotation<JwtAuthority> rotation : rotations.values()) {
      rotation.rotate(now);
    }
    // Reloaded every tick, not only on change: another replica may have rotated.
    List<JWK> keys = new ArrayList<>();
    for (BundleKeyRecord record : store.downstreamKeys()) {
      try {
        keys.add(JWK.parse(record.publicMaterial()).toPublicJWK());
      } catch (ParseException e) {
        throw new IllegalStateException("downstream key " + record.kid() + " is not a JWK", e);
      }
    }
    jwks = new JWKSet(keys);
  }
}
