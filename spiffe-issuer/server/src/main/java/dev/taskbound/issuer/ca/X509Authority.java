package dev.taskbound.issuer.ca;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;

/**
 * One X.509 signing authority: the CA certificate and its private key, the intermediates between it and the
 * root (empty when it is the root itself), and the root that the trust bundle publishes.
 *
 * @param kid the authority's id in the store's bundle table
 */
public record X509Authority(
    String kid, PrivateKey privateKey, X509Certificate certificate, List<X509Certificate> intermediates,
    X509Certificate root) {

  public X509Authority {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(certificate, "certificate");
    Objects.requireNonNull(root, "root");
    intermediates = List.copyOf(intermediates);
  }

  /** What follows the leaf in an SVID chain: the signing CA unless it is the root, then the intermediates. */
  public List<X509Certificate> chainAfterLeaf() {
    if (certificate.equals(root)) {
      return List.of();
    }
    var chain = new java.util.ArrayList<X509Certificate>();
    chain.add(certificate);
    chain.addAll(intermediates);
    return List.copyOf(chain);
  }

  @Override
  public String toString() {
    return "X509Authority[kid=" + kid + ", subject=" + certificate.getSubjectX500Principal() + "]";
  }
}
