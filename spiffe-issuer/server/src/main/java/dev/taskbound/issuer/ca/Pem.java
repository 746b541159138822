package dev.taskbound.issuer.ca;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** PEM encoding and decoding of certificates and keys. */
public final class Pem {
  private static final Base64.Encoder MIME =
      Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

  private Pem() {}

  /** A certificate's DER encoding as a {@code CERTIFICATE} block. */
  public static String certificate(byte[] der) {
    return block("CERTIFICATE", der);
  }

  public static String certificate(X509Certificate cert) {
    try {
      return block("CERTIFICATE", cert.getEncoded());
    } catch (CertificateEncodingException e) {
      throw new IllegalStateException("certificate cannot be encoded", e);
    }
  }

  /** PKCS#8 {@code PRIVATE KEY}; only for keys whose bytes are exportable (never a PKCS#11 handle). */
  public static String privateKey(PrivateKey key) {
    byte[] der = key.getEncoded();
    if (der == null || !"PKCS#8".equals(key.getFormat())) {
      throw new IllegalArgumentException("private key is not exportable as PKCS#8");
    }
    return block("PRIVATE KEY", der);
  }

  /** X.509 SubjectPublicKeyInfo {@code PUBLIC KEY}. */
  public static String publicKey(PublicKey key) {
    return block("PUBLIC KEY", key.getEncoded());
  }

  /** Every {@code CERTIFICATE} block in {@code pem}, in order. */
  public static List<X509Certificate> parseCertificates(String pem) {
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      List<X509Certificate> certs = new ArrayList<>();
      for (var cert : factory.generateCertificates(
          new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
        certs.add((X509Certificate) cert);
      }
      return certs;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("not PEM certificates: " + e.getMessage(), e);
    }
  }

  /** The first private key in {@code pem}: PKCS#8, SEC1 {@code EC PRIVATE KEY} or PKCS#1 {@code RSA PRIVATE KEY}. */
  public static PrivateKey parsePrivateKey(String pem) {
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof PrivateKeyInfo info) {
          return converter.getPrivateKey(info);
        }
        if (object instanceof PEMKeyPair pair) {
          return converter.getKeyPair(pair).getPrivate();
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable PEM private key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("no unencrypted private key in PEM");
  }

  /** The first {@code PUBLIC KEY} in {@code pem}. */
  public static PublicKey parsePublicKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
        if (object instanceof SubjectPublicKeyInfo info) {
          return new JcaPEMKeyConverter().getPublicKey(info);
        }
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("unreadable PEM public key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("no public key in PEM");
  }

  private static String block(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + MIME.encodeToString(der) + "\n-----END " + type + "-----\n";
  }
}
