package dev.taskbound.issuer.ca;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Mints X.509-SVID leaves per the SPIFFE X509-SVID specification with Bouncy Castle. The content signer names no
 * provider, so the JCA routes the signature to whichever provider holds the CA key (ACCP, BC or SunPKCS11).
 */
public final class BcX509SvidMinter implements X509SvidMinter {
  /** Tolerates verifiers whose clocks run a little behind ours. */
  static final Duration BACKDATE = Duration.ofSeconds(30);
  private static final X500Name SUBJECT = new X500Name("O=Taskbound");

  private final Supplier<X509Authority> authority;
  private final Clock clock;
  private final String crlUrl;

  /**
   * @param authority the currently active authority (asked on every mint, so a rotation takes effect at once)
   * @param issuerUrl base URL of the issuer; the leaf's CRL distribution point is {@code issuerUrl + "/crl"}
   */
  public BcX509SvidMinter(Supplier<X509Authority> authority, Clock clock, String issuerUrl) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.crlUrl = stripSlash(Objects.requireNonNull(issuerUrl, "issuerUrl")) + "/crl";
  }

  @Override
  public X509SvidIssued mint(SpiffeId id, PublicKey subjectKey, Instant notAfter) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(subjectKey, "subjectKey");
    Objects.requireNonNull(notAfter, "notAfter");
    X509Authority ca = authority.get();
    X509Certificate caCert = ca.certificate();
    Instant now = clock.instant();
    Instant notBefore = now.minus(BACKDATE);
    Instant caNotAfter = caCert.getNotAfter().toInstant();
    Instant end = notAfter.isAfter(caNotAfter) ? caNotAfter : notAfter;
    if (!end.isAfter(now)) {
      throw new IllegalArgumentException("notAfter must be in the future (and before the CA expires)");
    }
    var serial = RootCertificates.serial();
    try {
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
                  caCert, serial, Date.from(notBefore), Date.from(end), SUBJECT, subjectKey)
              .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
              .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature))
              .addExtension(
                  Extension.extendedKeyUsage,
                  false,
                  new ExtendedKeyUsage(
                      new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}))
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(
                      new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, extensions.createSubjectKeyIdentifier(subjectKey))
              .addExtension(
                  Extension.authorityKeyIdentifier, false, extensions.createAuthorityKeyIdentifier(caCert))
              .addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoint());
      ContentSigner signer =
          new JcaContentSignerBuilder(KeyAlgorithm.of(ca.privateKey()).jcaSignature()).build(ca.privateKey());
      X509Certificate leaf = new JcaX509CertificateConverter().getCertificate(builder.build(signer));
      List<X509Certificate> chain = new ArrayList<>();
      chain.add(leaf);
      chain.addAll(ca.chainAfterLeaf());
      return new X509SvidIssued(
          X509SvidIssued.serialHex(serial), chain, leaf.getNotBefore().toInstant(), leaf.getNotAfter().toInstant());
    } catch (CertIOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot mint an X.509-SVID with authority " + ca.kid(), e);
    }
  }

  private CRLDistPoint crlDistributionPoint() {
    GeneralNames names = new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl));
    return new CRLDistPoint(
        new DistributionPoint[] {
          new DistributionPoint(new DistributionPointName(DistributionPointName.FULL_NAME, names), null, null)
        });
  }

  static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
