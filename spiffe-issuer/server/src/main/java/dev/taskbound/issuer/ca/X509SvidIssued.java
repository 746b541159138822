package dev.taskbound.issuer.ca;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A freshly minted X.509-SVID: {@code chain} is leaf first, then intermediates up to (not including) the
 * bundle's root. {@code serialHex} is in the {@linkplain #serialHex(BigInteger) canonical form}.
 */
public record X509SvidIssued(
    String serialHex, List<X509Certificate> chain, Instant notBefore, Instant notAfter) {
  public X509SvidIssued {
    chain = List.copyOf(chain);
  }

  /**
   * The one written form of a serial number (the X.509-SVID's credential id everywhere): lower-case hex, two digits
   * per byte of the unsigned big-endian value, so it is {@code openssl x509 -serial} in lower case and never drops a
   * leading zero nibble.
   */
  public static String serialHex(BigInteger serial) {
    String hex = serial.toString(16);
    return hex.length() % 2 == 0 ? hex : "0" + hex;
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
