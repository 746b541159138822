package dev.taskbound.issuer.ca;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A freshly minted X.509-SVID: the leaf as its DER encoding (what a begin sends; parsed only when asked for), the
 * certificates that follow it up to (not including) the bundle's root, and the whole chain in PEM, leaf first.
 * {@code serialHex} is in the {@linkplain #serialHex(BigInteger) canonical form}.
 */
public record X509SvidIssued(
    String serialHex, byte[] leafDer, List<X509Certificate> chainAfterLeaf, String chainPem, Instant notBefore,
    Instant notAfter) {
  public X509SvidIssued {
    leafDer = leafDer.clone();
    chainAfterLeaf = List.copyOf(chainAfterLeaf);
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

  @Override
  public byte[] leafDer() {
    return leafDer.clone();
  }

  /** The leaf, parsed. */
  public X509Certificate leaf() {
    try {
      return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(leafDer));
    } catch (CertificateException e) {
      throw new IllegalStateException("a minted leaf does not parse", e);
    }
  }

  /** Leaf first, then {@link #chainAfterLeaf}. */
  public List<X509Certificate> chain() {
    List<X509Certificate> chain = new ArrayList<>();
    chain.add(leaf());
    chain.addAll(chainAfterLeaf);
    return List.copyOf(chain);
  }
}
