package dev.taskbound.issuer.ca;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A freshly minted X.509-SVID: {@code chain} is leaf first, then intermediates up to (not including) the
 * bundle's root. {@code serialHex} is lower-case hex.
 */
public record X509SvidIssued(
    String serialHex, List<X509Certificate> chain, Instant notBefore, Instant notAfter) {
  public X509SvidIssued {
    chain = List.copyOf(chain);
  }

  public X509Certificate leaf() {
    return chain.get(0);
  }

  public String chainPem() {
    StringBuilder pem = new StringBuilder();
    for (X509Certificate cert : chain) {
      pem.append(Pem.certificate(cert));
    }
    return pem.toString();
  }
}
