package dev.taskbound.issuer.attest;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which attestors are enabled. A null {@code github} or {@code jenkins} leaves that type disabled; each entry of
 * {@code oidc} enables {@code oidc:<name>}.
 */
public record AttestorsConfig(
    GitHubAttestorConfig github, JenkinsAttestorConfig jenkins, List<OidcAttestorConfig> oidc) {
  public AttestorsConfig {
    oidc = oidc == null ? List.of() : List.copyOf(oidc);
    Set<String> names = new HashSet<>();
    for (OidcAttestorConfig entry : oidc) {
      if (!names.add(entry.name())) {
        throw new IllegalArgumentException("oidc attestor '" + entry.name() + "' is configured twice");
      }
    }
  }

  public static AttestorsConfig none() {
    return new AttestorsConfig(null, null, List.of());
  }
}
