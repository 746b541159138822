package dev.taskbound.issuer.ca;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** An organisation's PKI for the PEM source tests: certificates signed by a given issuer. */
final class TestCertificates {
  private TestCertificates() {}

  static X509Certificate issue(
      X509Certificate issuer, KeyPair issuerKey, String subject, KeyPair subjectKey, boolean ca, int keyUsage)
      throws Exception {
    Instant now = Instant.now();
    var builder =
        new JcaX509v3CertificateBuilder(
                issuer, BigInteger.valueOf(now.toEpochMilli()), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(Duration.ofDays(30))), new X500Name(subject), subjectKey.getPublic())
            .addExtension(Extension.basicConstraints, true, ca ? new BasicConstraints(0) : new BasicConstraints(false))
            .addExtension(Extension.keyUsage, true, new KeyUsage(keyUsage));
    var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate());
    return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
  }
}
