package dev.taskbound.issuer.attest;

import java.util.List;

/**
 * The {@code jenkins} attestor. Controllers themselves are registered in the store ({@code controllers add}).
 *
 * @param audience the {@code aud} of run statements; null means the Taskbound issuer's own URL
 * @param algorithms allowed signature algorithms; null or empty means {@code ES256} and {@code RS256}
 */
public record JenkinsAttestorConfig(String audience, List<String> algorithms) {
  public JenkinsAttestorConfig {
    algorithms = algorithms == null || algorithms.isEmpty() ? List.of("ES256", "RS256") : List.copyOf(algorithms);
    JwtRules.parseAlgorithms(algorithms);
  }

  public static JenkinsAttestorConfig defaults() {
    return new JenkinsAttestorConfig(null, null);
  }
}
