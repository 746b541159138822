package dev.taskbound.issuer.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.Attestation;

/** Asserts a refusal names its reason and that nothing of the token leaks into the error. */
final class Refusals {
  private Refusals() {}

  static AttestationException assertRefused(Attestor attestor, String token, String reason) {
    Throwable[] thrown = new Throwable[1];
    assertThatThrownBy(() -> attestor.attest(new Attestation(attestor.type(), token)))
        .isInstanceOf(AttestationException.class)
        .hasMessageContaining(reason)
        .satisfies(e -> thrown[0] = e);
    assertNoTokenIn(thrown[0], token);
    return (AttestationException) thrown[0];
  }

  /** Neither the token nor any of its segments appears in the message, cause chain or string form. */
  static void assertNoTokenIn(Throwable error, String token) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      String text = t + " " + t.getMessage();
      if (token.length() >= 16) {
        assertThat(text).doesNotContain(token);
      }
      for (String segment : token.split("\\.")) {
        if (segment.length() >= 16) {
          assertThat(text).doesNotContain(segment);
        }
      }
    }
  }
}
