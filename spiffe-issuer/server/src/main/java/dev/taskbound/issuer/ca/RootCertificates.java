package dev.taskbound.issuer.ca;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Self-signed SPIFFE root CA certificates for the generated and PKCS#11 authorities. */
public final class RootCertificates {
  private static final SecureRandom RANDOM = new SecureRandom();

  private RootCertificates() {}

  /**
   * A root for {@code trustDomain}: CA (critical), keyCertSign + cRLSign (critical), SKI, and the trust domain's
   * SPIFFE ID as URI SAN (which the SPIFFE X.509 spec allows on signing certificates).
   */
  public static X509Certificate selfSigned(
      String trustDomain, PublicKey publicKey, PrivateKey privateKey, Instant notBefore, Instant notAfter) {
    X500Name subject =
        new X500NameBuilder(BCStyle.INSTANCE)
            .addRDN(BCStyle.O, "Taskbound")
            .addRDN(BCStyle.CN, "Taskbound root " + trustDomain)
            .addRDN(BCStyle.SERIALNUMBER, serial().toString(16))
            .build();
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  subject, serial(), Date.from(notBefore), Date.from(notAfter), subject, publicKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
              .addExtension(
                  Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(publicKey))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(
                      new GeneralName(GeneralName.uniformResourceIdentifier, "spiffe://" + trustDomain)));
      var signer = new JcaContentSignerBuilder(KeyAlgorithm.of(privateKey).jcaSignature()).build(privateKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot build the root certificate", e);
    }
  }

  /** A positive serial with 127 random bits (CA/B forum asks for at least 64). */
  static BigInteger serial() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    bytes[0] &= 0x7f;
    BigInteger serial = new BigInteger(bytes);
    return serial.signum() == 0 ? BigInteger.ONE : serial;
  }
}
