package dev.taskbound.issuer.ca;

import com.nimbusds.jose.jwk.JWK;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;

/**
 * The SPIFFE trust bundle of our trust domain at one {@code sequence}: X.509 authorities (roots that SVID chains
 * end at) and JWT authorities (public keys with {@code kid}). Prepared and retired authorities are included so a
 * rotation never strands a verifier.
 */
public record TrustBundle(
    String trustDomain,
    List<X509Certificate> x509Authorities,
    List<JWK> jwtAuthorities,
    long sequence,
    Duration refreshHint) {

  public TrustBundle {
    x509Authorities = List.copyOf(x509Authorities);
    jwtAuthorities = List.copyOf(jwtAuthorities);
  }

  /** The X.509 authorities as concatenated PEM, for {@code bundle.pem}. */
  public String x509Pem() {
    StringBuilder pem = new StringBuilder();
    for (X509Certificate cert : x509Authorities) {
      pem.append(Pem.certificate(cert));
    }
    return pem.toString();
  }
}
