package dev.taskbound.issuer.exchange;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import dev.taskbound.issuer.ca.DownstreamSigningKeys;
import dev.taskbound.issuer.ca.TrustBundle;
import dev.taskbound.issuer.ca.TrustBundleSource;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The public keys of our own tokens: JWT-SVID keys and X.509 roots from the trust bundle (cached briefly, reloaded
 * at once for an unknown {@code kid}, at most once a second), and the downstream keys. The verifier for a token is
 * chosen by its {@code kid}, and the key's type must match the header's {@code alg} — no "alg from the token"
 * beyond that.
 */
final class OwnKeys {
  private static final Duration BUNDLE_TTL = Duration.ofSeconds(5);
  private static final Duration MISS_RELOAD_INTERVAL = Duration.ofSeconds(1);

  /** Which of our key sets verified a token. */
  enum Signer {
    JWT_SVID,
    DOWNSTREAM
  }

  record Verifier(Signer signer, JWSVerifier verifier) {}

  private final TrustBundleSource bundle;
  private final DownstreamSigningKeys downstream;
  private final Clock clock;
  private volatile TrustBundle cached;
  private volatile Instant loadedAt = Instant.EPOCH;

  OwnKeys(TrustBundleSource bundle, DownstreamSigningKeys downstream, Clock clock) {
    this.bundle = bundle;
    this.downstream = downstream;
    this.clock = clock;
  }

  /** The verifier for a token signed with {@code kid} under {@code alg}, if the key is ours and fits the alg. */
  Optional<Verifier> verifierFor(String kid, JWSAlgorithm alg) {
    if (kid == null) {
      return Optional.empty();
    }
    JWK key = downstream.jwks().getKeyByKeyId(kid);
    Signer signer = Signer.DOWNSTREAM;
    if (key == null) {
      signer = Signer.JWT_SVID;
      key = jwtSvidKey(kid, bundle(false));
      if (key == null && clock.instant().isAfter(loadedAt.plus(MISS_RELOAD_INTERVAL))) {
        key = jwtSvidKey(kid, bundle(true));
      }
    }
    if (key == null) {
      return Optional.empty();
    }
    try {
      if (JWSAlgorithm.ES256.equals(alg) && key instanceof ECKey ec) {
        return Optional.of(new Verifier(signer, new ECDSAVerifier(ec)));
      }
      if (JWSAlgorithm.RS256.equals(alg) && key instanceof RSAKey rsa) {
        return Optional.of(new Verifier(signer, new RSASSAVerifier(rsa)));
      }
    } catch (JOSEException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /** The X.509 authorities SVID chains must end at. */
  List<X509Certificate> x509Authorities() {
    return bundle(false).x509Authorities();
  }

  String trustDomain() {
    return bundle(false).trustDomain();
  }

  private TrustBundle bundle(boolean reload) {
    Instant now = clock.instant();
    TrustBundle current = cached;
    if (reload || current == null || !now.isBefore(loadedAt.plus(BUNDLE_TTL))) {
      current = bundle.current();
      cached = current;
      loadedAt = now;
    }
    return current;
  }

  private static JWK jwtSvidKey(String kid, TrustBundle bundle) {
    for (JWK jwk : bundle.jwtAuthorities()) {
      if (kid.equals(jwk.getKeyID())) {
        return jwk;
      }
    }
    return null;
  }
}
