package dev.taskbound.issuer.ca;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.Security;
import java.security.Signature;
import org.junit.jupiter.api.Test;

class CryptoProvidersTest {
  @Test
  void installIsIdempotentAndPutsTheActiveProviderFirst() {
    String first = CryptoProviders.install();
    String second = CryptoProviders.install();
    assertThat(second).isEqualTo(first).isEqualTo(CryptoProviders.active());
    assertThat(Security.getProviders()[0].getName()).isEqualTo(first);
    assertThat(first).isIn("AmazonCorrettoCryptoProvider", "BC");
  }

  @Test
  void accpIsChosenOnLinuxX8664() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64"),
        "ACCP ships a native library for linux-x86_64 only");
    CryptoProviders.install();
    assertThat(CryptoProviders.active()).isEqualTo("AmazonCorrettoCryptoProvider");
    assertThat(Signature.getInstance("SHA256withECDSA").getProvider().getName())
        .isEqualTo("AmazonCorrettoCryptoProvider");
  }
}
