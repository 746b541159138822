package dev.taskbound.issuer.ca;

import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;

/** PEM encoding of certificates. */
public final class Pem {
  private static final Base64.Encoder MIME =
      Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

  private Pem() {}

  public static String certificate(X509Certificate cert) {
    try {
      return "-----BEGIN CERTIFICATE-----\n"
          + MIME.encodeToString(cert.getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }
}
