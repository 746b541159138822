package dev.taskbound.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConsoleMaskerTest {
  static final String TOKEN = "tbc_0123456789abcdef0123456789";
  static final String JWT = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJzcGlmZmU6Ly94In0.MEUCIQDx1234567890abcdefABCDEF";

  @Test
  void knownSecretsAndAnyJwtAreMaskedAndTheLineEndingKept() {
    ConsoleMasker.Lines masker = new ConsoleMasker(List.of(TOKEN)).lines();

    assertThat(masker.mask("token=" + TOKEN + "\n")).isEqualTo("token=****\n");
    assertThat(masker.mask("Authorization: Bearer " + JWT + "\r\n")).isEqualTo("Authorization: Bearer ****\r\n");
    assertThat(masker.mask("nothing secret here\n")).isEqualTo("nothing secret here\n");
  }

  @Test
  void theLongestSecretIsMaskedFirstSoNoFragmentSurvives() {
    ConsoleMasker masker = new ConsoleMasker(List.of("abcdefgh", "abcdefgh-and-more"));
    assertThat(masker.mask("x abcdefgh-and-more y")).isEqualTo("x **** y");
  }

  @Test
  void shortStringsAreNotTreatedAsSecrets() {
    assertThat(new ConsoleMasker(List.of("abc", "")).mask("abc")).isEqualTo("abc");
  }

  @Test
  void privateKeyBlocksAreMaskedLineByLine() {
    ConsoleMasker.Lines masker = new ConsoleMasker(List.of()).lines();
    TaskKey key = TaskKey.generate();
    StringBuilder out = new StringBuilder();
    for (String line : ("before\n" + key.privateKeyPem() + "after\n").split("(?<=\n)")) {
      out.append(masker.mask(line));
    }

    String masked = out.toString();
    for (String body : TaskSession.pemBodyLines(key.privateKeyPem())) {
      assertThat(masked).doesNotContain(body);
    }
    assertThat(masked).startsWith("before\n-----BEGIN PRIVATE KEY-----\n****\n").endsWith("-----END PRIVATE KEY-----\nafter\n");
  }

  @Test
  void certificatesAreLeftAlone() {
    ConsoleMasker.Lines masker = new ConsoleMasker(List.of()).lines();
    assertThat(masker.mask("-----BEGIN CERTIFICATE-----\n")).isEqualTo("-----BEGIN CERTIFICATE-----\n");
    assertThat(masker.mask("MIIBkTCB+wIJAK\n")).isEqualTo("MIIBkTCB+wIJAK\n");
  }
}
