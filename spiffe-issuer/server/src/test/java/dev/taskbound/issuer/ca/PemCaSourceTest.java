package dev.taskbound.issuer.ca;

import dev.taskbound.issuer.testing.MutableClock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.issuer.config.IssuerConfig;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.svid.x509svid.X509SvidValidator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemCaSourceTest {
  @TempDir Path dir;
  private final MutableClock clock = new MutableClock();
  private final TestStores stores = new TestStores();
  private KeyPair orgRootKey;
  private X509Certificate orgRoot;
  private KeyPair intermediateKey;
  private X509Certificate intermediate;

  @BeforeEach
  void organisationPki() throws Exception {
    orgRootKey = KeyAlgorithm.EC_P256.generate();
    Instant now = Instant.now();
    orgRoot =
        RootCertificates.selfSigned(
            "org.example", orgRootKey.getPublic(), orgRootKey.getPrivate(), now.minusSeconds(60),
            now.plus(Duration.ofDays(365)));
    intermediateKey = KeyAlgorithm.EC_P256.generate();
    intermediate =
        TestCertificates.issue(
            orgRoot, orgRootKey, "O=Example,CN=Taskbound intermediate", intermediateKey, true,
            KeyUsage.keyCertSign | KeyUsage.cRLSign);
  }

  @AfterEach
  void closeStores() {
    stores.close();
  }

  @Test
  void intermediateSignsSvidsThatChainToTheOrgRootInJavaSpiffe() throws Exception {
    CertificateAuthority ca = create(intermediate, intermediateKey);
    KeyPair taskKey = TestCa.taskKey();
    X509SvidIssued issued =
        ca.x509Minter().mint(TestCa.WORKLOAD, taskKey.getPublic(), clock.instant().plusSeconds(600));

    assertThat(issued.chain()).containsExactly(issued.leaf(), intermediate);
    assertThat(ca.bundle().current().x509Authorities()).containsExactly(orgRoot);
    X509Svid svid =
        X509Svid.parse(
            issued.chainPem().getBytes(StandardCharsets.US_ASCII),
            Pem.privateKey(taskKey.getPrivate()).getBytes(StandardCharsets.US_ASCII));
    X509SvidValidator.verifyChain(svid.getChain(), TestCa.x509Bundle(ca.bundle().bundleJson()));
  }

  @Test
  void keyThatDoesNotMatchTheCertificateIsRefused() {
    assertThatThrownBy(() -> create(intermediate, KeyAlgorithm.EC_P256.generate()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void certificateWithoutKeyCertSignIsRefused() throws Exception {
    KeyPair key = KeyAlgorithm.EC_P256.generate();
    X509Certificate noSigning =
        TestCertificates.issue(orgRoot, orgRootKey, "O=Example,CN=not a signer", key, true, KeyUsage.digitalSignature);
    assertThatThrownBy(() -> create(noSigning, key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("keyCertSign");
  }

  @Test
  void leafCertificateIsRefusedAsCa() throws Exception {
    KeyPair key = KeyAlgorithm.EC_P256.generate();
    X509Certificate leaf =
        TestCertificates.issue(orgRoot, orgRootKey, "O=Example,CN=leaf", key, false, KeyUsage.digitalSignature);
    assertThatThrownBy(() -> create(leaf, key))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a CA");
  }

  private CertificateAuthority create(X509Certificate caCert, KeyPair caKey) throws Exception {
    Path cert = Files.writeString(dir.resolve("ca.pem"), Pem.certificate(caCert));
    Path key = Files.writeString(dir.resolve("ca-key.pem"), Pem.privateKey(caKey.getPrivate()));
    Path chain = Files.writeString(dir.resolve("chain.pem"), Pem.certificate(orgRoot));
    IssuerConfig.Ca ca = new IssuerConfig.Ca("pem", cert, key, chain, null, null, null);
    return CertificateAuthority.create(
        TestCa.config(dir, ca, new IssuerConfig.Jwt(null, null, null)), stores.open(dir), clock);
  }
}
