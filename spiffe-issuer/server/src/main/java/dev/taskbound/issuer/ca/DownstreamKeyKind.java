package dev.taskbound.issuer.ca;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import dev.taskbound.issuer.store.BundleKeyRecord;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;

/**
 * Downstream-token signing keys of one algorithm: published at {@code /jwks} as {@code use: sig} JWKs with
 * {@code kid} and {@code alg} (relying parties such as AWS and Azure want both), kept after retirement for the
 * longest downstream token lifetime.
 */
final class DownstreamKeyKind implements AuthorityRotation.Kind<JwtAuthority> {
  private final KeyAlgorithm algorithm;
  private final Duration maxTokenLifetime;

  DownstreamKeyKind(KeyAlgorithm algorithm, Duration maxTokenLifetime) {
    this.algorithm = algorithm;
    this.maxTokenLifetime = maxTokenLifetime;
  }

  /** The store's {@code key_use} for downstream keys of {@code algorithm}. */
  static String use(KeyAlgorithm algorithm) {
    return "downstream-" + algorithm.jwsAlgorithm().toLowerCase(Locale.ROOT);
  }

  @Override
  public String use() {
    return use(algorithm);
  }

  @Override
  public KeyAlgorithm algorithm() {
    return algorithm;
  }

  @Override
  public AuthorityRotation.Published publish(String kid, SigningKey key, Instant now) {
    return new AuthorityRotation.Published(jwk(key, kid).toJSONString(), null);
  }

  @Override
  public JwtAuthority authority(BundleKeyRecord record, SigningKey key) {
    return new JwtAuthority(record.kid(), key);
  }

  @Override
  public Instant removeAfter(BundleKeyRecord record, Instant retiredAt) {
    return retiredAt.plus(maxTokenLifetime).plus(JwtKeyKind.VERIFIER_LEEWAY);
  }

  private JWK jwk(SigningKey key, String kid) {
    JWSAlgorithm alg = JWSAlgorithm.parse(algorithm.jwsAlgorithm());
    if (key.publicKey() instanceof ECPublicKey ec) {
      return new ECKey.Builder(Curve.P_256, ec).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(alg).build();
    }
    if (key.publicKey() instanceof RSAPublicKey rsa) {
      return new RSAKey.Builder(rsa).keyID(kid).keyUse(KeyUse.SIGNATURE).algorithm(alg).build();
    }
    throw new IllegalArgumentException("unsupported downstream key type " + key.publicKey().getAlgorithm());
  }
}
