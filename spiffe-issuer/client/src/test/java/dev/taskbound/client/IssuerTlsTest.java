package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class IssuerTlsTest {
  @Test
  void withoutTrustedCertificatesTheJvmDefaultsApply() {
    assertThat(IssuerTls.httpClient(null)).isNotNull();
    assertThat(IssuerTls.httpClient("  ")).isNotNull();
  }

  @Test
  void somethingThatIsNotACertificateIsRefused() {
    assertThatThrownBy(() -> IssuerTls.httpClient("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> IssuerTls.httpClient("no pem at all")).isInstanceOf(IllegalArgumentException.class);
  }
}
