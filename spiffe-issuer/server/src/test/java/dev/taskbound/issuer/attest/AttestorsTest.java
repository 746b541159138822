package dev.taskbound.issuer.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.taskbound.api.Attestation;
import dev.taskbound.issuer.store.Store;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AttestorsTest {
  @TempDir Path dir;

  static Attestor fixed(String type) {
    return new Attestor() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public AttestedIdentity attest(Attestation attestation) {
        return new AttestedIdentity(type, Map.of("platform", type), Map.of(), "00");
      }
    };
  }

  @Test
  void unknownTypeIsRefusedByName() {
    Attestors attestors = new Attestors(List.of(fixed("github")));
    assertThatThrownBy(() -> attestors.attest(new Attestation("x", "some-secret-token-value")))
        .isInstanceOf(AttestationException.class)
        .hasMessage("attestor 'x' is not enabled");
  }

  @Test
  void attestationGoesToTheAttestorOfItsType() {
    Attestors attestors = new Attestors(List.of(fixed("github"), fixed("jenkins")));
    assertThat(attestors.attest(new Attestation("jenkins", "t")).platform()).isEqualTo("jenkins");
  }

  @Test
  void twoAttestorsForOneTypeAreRefused() {
    assertThatThrownBy(() -> new Attestors(List.of(fixed("github"), fixed("github"))))
        .hasMessageContaining("github");
  }

  @Test
  void configEnablesExactlyTheConfiguredTypes() {
    try (Store store = TestStores.open(dir)) {
      Attestors none =
          Attestors.fromConfig(AttestorsConfig.none(), "https://tb.example", store, Clock.systemUTC(),
              JwksFetcher.withDefaults(), fixed("dev"));
      assertThat(none.types()).containsExactly("dev");
      assertThatThrownBy(() -> none.attest(new Attestation("github", "t")))
          .hasMessage("attestor 'github' is not enabled");

      Attestors all =
          Attestors.fromConfig(
              new AttestorsConfig(
                  GitHubAttestorConfig.publicGitHub(),
                  JenkinsAttestorConfig.defaults(),
                  List.of(new OidcAttestorConfig("gitlab", "https://gitlab.com", null, null, Map.of()))),
              "https://tb.example", store, Clock.systemUTC(), JwksFetcher.withDefaults());
      assertThat(all.types()).containsExactly("github", "jenkins", "oidc:gitlab");
      assertThat(all.list()).hasSize(3);
    }
  }
}
