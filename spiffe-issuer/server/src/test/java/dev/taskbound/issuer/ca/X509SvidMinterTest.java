package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class X509SvidMinterTest {
  @TempDir Path dataDir;
  private final MutableClock clock = new MutableClock();
  private final TestStores stores = new TestStores();

  @AfterEach
  void closeStores() {
    stores.close();
  }
  private CertificateAuthority ca;
  private KeyPair taskKey;

  @BeforeEach
  void setUp() {
    ca = CertificateAuthority.create(TestCa.generated(dataDir), stores.open(dataDir), clock);
    taskKey = TestCa.taskKey();
  }

  private X509SvidIssued mint() {
    return ca.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plus(Duration.ofMinutes(30)));
  }

  @Test
  void svidParsesAndChainsToOurBundleInJavaSpiffe() throws Exception {
    X509SvidIssued issued = mint();
    X509Svid svid =
        X509Svid.parse(
            issued.chainPem().getBytes(StandardCharsets.US_ASCII),
            Pem.privateKey(taskKey.getPrivate()).getBytes(StandardCharsets.US_ASCII));

    assertThat(svid.getSpiffeId().toString()).isEqualTo(TestCa.WORKLOAD.toString());
    X509SvidValidator.verifyChain(svid.getChain(), TestCa.x509Bundle(ca.bundle().bundleJson()));
  }

  @Test
  void svidFromAnotherCaDoesNotChainToOurBundle() throws Exception {
    Path otherDir = dataDir.resolve("other");
    CertificateAuthority other = CertificateAuthority.create(TestCa.generated(otherDir), stores.open(dataDir), clock);
    X509SvidIssued foreign =
        other.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plusSeconds(600));

    assertThatThrownBy(
            () -> X509SvidValidator.verifyChain(foreign.chain(), TestCa.x509Bundle(ca.bundle().bundleJson())))
        .isInstanceOf(CertificateException.class);
  }

  @Test
  void leafHasExactlyOneUriSanWhichIsTheSpiffeId() throws Exception {
    X509Certificate leaf = mint().leaf();
    var sans = leaf.getSubjectAlternativeNames();
    assertThat(sans).hasSize(1);
    List<?> san = sans.iterator().next();
    assertThat(san.get(0)).isEqualTo(GeneralName.uniformResourceIdentifier);
    assertThat(san.get(1)).isEqualTo(TestCa.WORKLOAD.toString());
  }

  @Test
  void leafIsNotACaAndSaysSoCritically() {
    X509Certificate leaf = mint().leaf();
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId());
    assertThat(leaf.getExtensionValue(Extension.basicConstraints.getId())).isNotNull();
  }

  @Test
  void keyUsageIsCriticalDigitalSignatureWithoutCertOrCrlSigning() {
    X509Certificate leaf = mint().leaf();
    boolean[] usage = leaf.getKeyUsage();
    assertThat(leaf.getCriticalExtensionOIDs()).contains(Extension.keyUsage.getId());
    assertThat(usage[0]).as("digitalSignature").isTrue();
    assertThat(usage[5]).as("keyCertSign").isFalse();
    assertThat(usage[6]).as("cRLSign").isFalse();
  }

  @Test
  void extendedKeyUsageIsServerAndClientAuth() throws Exception {
    assertThat(mint().leaf().getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
  }

  @Test
  void subjectAndAuthorityKeyIdentifiersLinkLeafToRoot() throws Exception {
    X509SvidIssued issued = mint();
    X509Certificate root = ca.bundle().current().x509Authorities().get(0);
    byte[] aki =
        AuthorityKeyIdentifier.getInstance(
                ASN1OctetString.getInstance(issued.leaf().getExtensionValue(Extension.authorityKeyIdentifier.getId()))
                    .getOctets())
            .getKeyIdentifier();
    byte[] rootSki =
        SubjectKeyIdentifier.getInstance(
                ASN1OctetString.getInstance(root.getExtensionValue(Extension.subjectKeyIdentifier.getId()))
                    .getOctets())
            .getKeyIdentifier();
    assertThat(aki).isEqualTo(rootSki);
    assertThat(issued.leaf().getExtensionValue(Extension.subjectKeyIdentifier.getId())).isNotNull();
  }

  @Test
  void serialsArePositiveTimeOrderedAndCarry80RandomBits() {
    BigInteger first = mint().leaf().getSerialNumber();
    BigInteger sameMillisecond = mint().leaf().getSerialNumber();
    clock.advance(Duration.ofMillis(1));
    BigInteger later = mint().leaf().getSerialNumber();

    assertThat(first.signum()).isPositive();
    // At most 20 octets (RFC 5280 4.1.2.2): 16 here, the first 6 the mint's millisecond.
    assertThat(first.bitLength()).isLessThanOrEqualTo(128).isGreaterThan(80);
    assertThat(first.shiftRight(80).longValueExact()).isEqualTo(clock.instant().toEpochMilli() - 1);
    // Same millisecond: the 80 random bits (CA/Browser Forum: at least 64 from a CSPRNG) tell them apart.
    assertThat(sameMillisecond).isNotEqualTo(first);
    assertThat(sameMillisecond.shiftRight(80)).isEqualTo(first.shiftRight(80));
    assertThat(later).isGreaterThan(first).isGreaterThan(sameMillisecond);
    assertThat(mint().serialHex()).matches("([0-9a-f]{2}){16}");
  }

  @Test
  void serialHexIsOpensslsFormInLowerCaseAndKeepsALeadingZeroNibble() {
    assertThat(X509SvidIssued.serialHex(BigInteger.ONE)).isEqualTo("01");
    assertThat(X509SvidIssued.serialHex(BigInteger.valueOf(0x0abc))).isEqualTo("0abc");
    assertThat(X509SvidIssued.serialHex(BigInteger.valueOf(0x80))).isEqualTo("80");
    assertThat(X509SvidIssued.serialHex(new BigInteger("0f" + "ff".repeat(15), 16))).isEqualTo("0f" + "ff".repeat(15));
    assertThat(X509SvidIssued.serialHex(new BigInteger("7f" + "00".repeat(15), 16))).isEqualTo("7f" + "00".repeat(15));
  }

  @Test
  void notBeforeIsBackdatedAboutThirtySeconds() {
    Instant now = clock.instant();
    Instant notBefore = mint().leaf().getNotBefore().toInstant();
    assertThat(notBefore).isBetween(now.minusSeconds(32), now.minusSeconds(28));
  }

  @Test
  void recordedTimesAndPemAreThoseOfTheCertificateItself() throws Exception {
    // The minter keeps the leaf as DER and works out the times without parsing it back: they must still be exactly
    // what the certificate says (whole seconds), and the PEM must be that certificate followed by the chain.
    clock.set(Instant.parse("2026-12-01T10:00:00.987Z"));
    X509SvidIssued issued = ca.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plusMillis(600_456));
    X509Certificate leaf = issued.leaf();
    assertThat(issued.notBefore()).isEqualTo(leaf.getNotBefore().toInstant()).isEqualTo(Instant.parse("2026-12-01T09:59:30Z"));
    assertThat(issued.notAfter()).isEqualTo(leaf.getNotAfter().toInstant()).isEqualTo(Instant.parse("2026-12-01T10:10:01Z"));
    assertThat(issued.serialHex()).isEqualTo(X509SvidIssued.serialHex(leaf.getSerialNumber()));
    StringBuilder pem = new StringBuilder();
    for (X509Certificate c : issued.chain()) {
      pem.append(Pem.certificate(c));
    }
    assertThat(issued.chainPem()).isEqualTo(pem.toString());
  }

  @Test
  void notAfterIsCappedAtTheCaNotAfter() {
    X509Certificate root = ca.bundle().current().x509Authorities().get(0);
    X509SvidIssued issued =
        ca.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plus(Duration.ofDays(3650)));
    assertThat(issued.leaf().getNotAfter()).isEqualTo(root.getNotAfter());
    assertThat(issued.notAfter()).isEqualTo(root.getNotAfter().toInstant());
  }

  @Test
  void crlDistributionPointIsTheIssuersCrlUrl() throws Exception {
    byte[] ext = mint().leaf().getExtensionValue(Extension.cRLDistributionPoints.getId());
    CRLDistPoint points = CRLDistPoint.getInstance(ASN1OctetString.getInstance(ext).getOctets());
    GeneralNames names = GeneralNames.getInstance(points.getDistributionPoints()[0].getDistributionPoint().getName());
    assertThat(names.getNames()[0].getName().toString()).isEqualTo(TestCa.ISSUER_URL + "/crl");
  }

  @Test
  void chainOfAGeneratedRootIsTheLeafAlone() {
    X509SvidIssued issued = mint();
    assertThat(issued.chain()).hasSize(1);
  }

  @Test
  void rootIsPersistedAndReusedAfterRestart() {
    X509Certificate root = ca.bundle().current().x509Authorities().get(0);
    var store = stores.open(dataDir);
    CertificateAuthority first = CertificateAuthority.create(TestCa.generated(dataDir.resolve("r")), store, clock);
    CertificateAuthority again = CertificateAuthority.create(TestCa.generated(dataDir.resolve("r")), store, clock);
    assertThat(again.x509Authority().root()).isEqualTo(first.x509Authority().root());
    assertThat(again.x509Authority().root()).isNotEqualTo(root);
  }
}
