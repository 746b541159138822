package dev.taskbound.issuer.ca;

import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
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
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
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
  private static final BasicConstraints NOT_A_CA = new BasicConstraints(false);
  private static final KeyUsage DIGITAL_SIGNATURE = new KeyUsage(KeyUsage.digitalSignature);
  private static final ExtendedKeyUsage SERVER_AND_CLIENT_AUTH =
      new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth});
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Supplier<X509Authority> authority;
  private final Clock clock;
  private final CRLDistPoint crlDistributionPoint;
  private volatile Issuing issuing;

  /** What every leaf of one authority shares, worked out once per authority (a rotation brings a new one). */
  private record Issuing(
      X509Authority ca, X500Name issuer, Instant notAfter, AuthorityKeyIdentifier authorityKeyId, String signatureAlgorithm,
      List<X509Certificate> chainAfterLeaf, String chainAfterLeafPem) {
    static Issuing of(X509Authority ca) throws GeneralSecurityException {
      X509Certificate cert = ca.certificate();
      List<X509Certificate> after = ca.chainAfterLeaf();
      StringBuilder pem = new StringBuilder();
      for (X509Certificate c : after) {
        pem.append(Pem.certificate(c));
      }
      return new Issuing(
          ca,
          X500Name.getInstance(cert.getSubjectX500Principal().getEncoded()),
          cert.getNotAfter().toInstant(),
          new JcaX509ExtensionUtils().createAuthorityKeyIdentifier(cert),
          KeyAlgorithm.of(ca.privateKey()).jcaSignature(),
          after,
          pem.toString());
    }
  }

  /**
   * @param authority the currently active authority (asked on every mint, so a rotation takes effect at once)
   * @param issuerUrl base URL of the issuer; the leaf's CRL distribution point is {@code issuerUrl + "/crl"}
   */
  public BcX509SvidMinter(Supplier<X509Authority> authority, Clock clock, String issuerUrl) {
    this.authority = Objects.requireNonNull(authority, "authority");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.crlDistributionPoint = crlDistributionPoint(stripSlash(Objects.requireNonNull(issuerUrl, "issuerUrl")) + "/crl");
  }

  @Override
  public X509SvidIssued mint(SpiffeId id, PublicKey subjectKey, Instant notAfter) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(subjectKey, "subjectKey");
    Objects.requireNonNull(notAfter, "notAfter");
    X509Authority ca = authority.get();
    try {
      Issuing by = issuing(ca);
      // Whole seconds: what the certificate's UTCTime/GeneralizedTime fields hold.
      Instant now = clock.instant();
      Instant notBefore = now.minus(BACKDATE).truncatedTo(ChronoUnit.SECONDS);
      Instant end = (notAfter.isAfter(by.notAfter()) ? by.notAfter() : notAfter).truncatedTo(ChronoUnit.SECONDS);
      if (!end.isAfter(now)) {
        throw new IllegalArgumentException("notAfter must be in the future (and before the CA expires)");
      }
      // Time-ordered (80 random bits; the CA/Browser Forum asks for 64): a serial is the credential id the store
      // indexes, and random ones put every credential of a batch on a different page of that index.
      var serial = new BigInteger(1, TimeOrderedId.next(now.toEpochMilli(), RANDOM));
      X509v3CertificateBuilder builder =
          new X509v3CertificateBuilder(
                  by.issuer(), serial, Date.from(notBefore), Date.from(end), SUBJECT,
                  SubjectPublicKeyInfo.getInstance(subjectKey.getEncoded()))
              .addExtension(Extension.basicConstraints, true, NOT_A_CA)
              .addExtension(Extension.keyUsage, true, DIGITAL_SIGNATURE)
              .addExtension(Extension.extendedKeyUsage, false, SERVER_AND_CLIENT_AUTH)
              .addExtension(
                  Extension.subjectAlternativeName,
                  false,
                  new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, id.toString())))
              .addExtension(
                  Extension.subjectKeyIdentifier, false, new JcaX509ExtensionUtils().createSubjectKeyIdentifier(subjectKey))
              .addExtension(Extension.authorityKeyIdentifier, false, by.authorityKeyId())
              .addExtension(Extension.cRLDistributionPoints, false, crlDistributionPoint);
      ContentSigner signer = new JcaContentSignerBuilder(by.signatureAlgorithm()).build(ca.privateKey());
      // Kept as DER: parsing it back into an X509Certificate only to encode it again cost a third of a mint.
      byte[] leaf = builder.build(signer).getEncoded();
      return new X509SvidIssued(
          X509SvidIssued.serialHex(serial), leaf, by.chainAfterLeaf(), Pem.certificate(leaf) + by.chainAfterLeafPem(),
          notBefore, end);
    } catch (IOException | OperatorCreationException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot mint an X.509-SVID with authority " + ca.kid(), e);
    }
  }

  private Issuing issuing(X509Authority ca) throws GeneralSecurityException {
    Issuing current = issuing;
    if (current == null || current.ca() != ca) {
      current = Issuing.of(ca);
      issuing = current;
    }
    return current;
  }

  private static CRLDistPoint crlDistributionPoint(String crlUrl) {
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
